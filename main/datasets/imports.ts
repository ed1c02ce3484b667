import path from 'node:path';
import { inside } from './folder-safety.js';

/** Where `serve` mode keeps the copies of folders a browser uploaded (see server/uploads.ts). */
export function importsFolder(dataDir: string): string {
  return path.join(dataDir, 'imports');
}

/** True for `<dataDir>/imports/<one folder>`: a copy the studio owns, not a user's folder. */
export function isImportedCopy(dataDir: string, folder: string): boolean {
  const root = importsFolder(dataDir);
  return inside(root, folder) && !path.relative(root, folder).includes(path.sep);
}
