import { randomBytes } from 'node:crypto';

/** Short, sortable-by-creation ids: a time prefix keeps runs listed in order in file browsers. */
export function newId(prefix: string): string {
  const time = Date.now().toString(36);
  return `${prefix}${time}${randomBytes(4).toString('hex')}`;
}
