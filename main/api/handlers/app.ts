import type { AppInfo } from '../../../shared/types.js';
import type { GroupHandlers } from '../router.js';

export function appHandlers(info: () => Promise<AppInfo>): GroupHandlers<'app'> {
  return { 'app.info': () => info() };
}
