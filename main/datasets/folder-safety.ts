import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * True when `child` lies strictly below `parent`, comparing resolved path text. Every check of
 * "is this path inside that folder" in main/ goes through here: the copies this replaced differed
 * (one took an absolute relative path on Windows, another a name like `..cache` for a parent).
 * Path text only: a link inside the folder may still lead out of it; see realFileIn.
 */
export function inside(parent: string, child: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return (
    rel !== '' &&
    rel !== '..' &&
    !rel.startsWith(`..${path.sep}`) &&
    // On Windows a path on another drive comes back absolute.
    !path.isAbsolute(rel)
  );
}

/**
 * The absolute path of a scan's '/'-separated relative path in its folder, or undefined when the
 * text leads out of it. The database is trusted no further than API input.
 */
export function fileIn(folder: string, relPath: string): string | undefined {
  const abs = path.resolve(folder, ...relPath.split('/'));
  return inside(folder, abs) ? abs : undefined;
}

/**
 * The real path (every link resolved) of a file in a folder, or undefined when it does not exist,
 * is not a regular file, or its real path leaves the folder's real path: a link in a dataset to
 * /etc/shadow is a file of the folder by name only and is never served.
 */
export async function realFileIn(folder: string, relPath: string): Promise<string | undefined> {
  const abs = fileIn(folder, relPath);
  if (!abs) return undefined;
  try {
    const [realFolder, realFile] = await Promise.all([fs.realpath(folder), fs.realpath(abs)]);
    if (!inside(realFolder, realFile)) return undefined;
    return (await fs.stat(realFile)).isFile() ? realFile : undefined;
  } catch {
    return undefined; // gone, or a link to nowhere
  }
}
