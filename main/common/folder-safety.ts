import { constants, type Stats } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApiError, firstLineOf } from '../../shared/errors.js';

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

/** A regular file of a folder, open for reading. */
export interface OpenedFile {
  /** Its real path, inside the folder's real path. */
  path: string;
  handle: FileHandle;
  /** The open file's own status: what is read is what was checked. */
  stat: Stats;
}

/** Errors that mean "no such file here" rather than "this file cannot be read". */
const missing = new Set(['ENOENT', 'ENOTDIR', 'ELOOP']);

/**
 * A file of a folder opened for reading, with realFileIn's checks, or undefined when there is no
 * regular file by that path inside the folder. The open file is checked too (a regular file, and
 * the very file now at its real path), so one swapped for a link, a folder or another file between
 * the check and the open is refused rather than read. Throws when the file is there but cannot be
 * opened (permission denied, an I/O error): that is for the caller to say, not "missing".
 */
export async function openFileIn(folder: string, relPath: string): Promise<OpenedFile | undefined> {
  const real = await realFileIn(folder, relPath);
  if (!real) return undefined;
  let handle: FileHandle;
  try {
    // Its real path has no link left in it; one put there since is not followed.
    handle = await fs.open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    if (missing.has((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  }
  try {
    const stat = await handle.stat();
    const now = await realFileIn(folder, relPath);
    const there = now === real ? await fs.stat(real).catch(() => undefined) : undefined;
    if (stat.isFile() && there && there.dev === stat.dev && there.ino === stat.ino) {
      return { path: real, handle, stat };
    }
  } catch (err) {
    await handle.close();
    throw err;
  }
  await handle.close();
  return undefined;
}

/**
 * A file the studio wrote itself in its data folder (`file`, a path built by paths.ts), opened as
 * openFileIn does, and only by its own path: the studio makes no links there, so one anywhere on
 * the way (a run's samples folder turned into a link to another folder) means it is not the
 * studio's file.
 */
export async function openOwnFile(dataDir: string, file: string): Promise<OpenedFile | undefined> {
  if (!inside(dataDir, file)) return undefined;
  const relPath = path.relative(path.resolve(dataDir), path.resolve(file)).split(path.sep).join('/');
  const opened = await openFileIn(dataDir, relPath);
  if (!opened) return undefined;
  const own = fileIn(await fs.realpath(dataDir).catch(() => dataDir), relPath);
  if (opened.path === own) return opened;
  await opened.handle.close();
  return undefined;
}

/**
 * The folder a user chose, checked and resolved to its real path (the same folder reached
 * through a link is the same dataset). Says what is wrong, and what to do, when it is missing,
 * a file, or unreadable.
 */
export async function resolveUserFolder(input: string): Promise<string> {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new ApiError(
      'invalid_input',
      'No folder was given. Choose the folder that holds your images.',
      'path',
    );
  }
  if (!path.isAbsolute(input)) {
    throw new ApiError(
      'invalid_input',
      `"${input}" is not a full path. Give the folder's full path, from the root of its disk (such as ${path.join(os.homedir(), 'Pictures')}).`,
      'path',
    );
  }
  const folder = path.resolve(input);
  let stat: Stats;
  try {
    stat = await fs.stat(folder);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ApiError(
        'not_found',
        `The folder ${folder} does not exist. Check the path, or choose the folder again.`,
        'path',
      );
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ApiError(
        'invalid_input',
        `GAN Studio may not open ${folder} (permission denied). Allow read access to it, or choose another folder.`,
        'path',
      );
    }
    throw new ApiError(
      'invalid_input',
      `The folder ${folder} cannot be opened (${firstLineOf(err)}). Choose another folder.`,
      'path',
    );
  }
  if (!stat.isDirectory()) {
    throw new ApiError(
      'invalid_input',
      `${folder} is a file, not a folder. Choose the folder that holds your images.`,
      'path',
    );
  }
  let real: string;
  try {
    const dir = await fs.opendir(folder);
    await dir.close();
    real = await fs.realpath(folder);
  } catch (err) {
    throw new ApiError(
      'invalid_input',
      `The folder ${folder} cannot be read (${firstLineOf(err)}). Allow GAN Studio to read it, or choose another folder.`,
      'path',
    );
  }
  await refuseWholeDisk(real);
  return real;
}

/**
 * Refuses the two folders that are never a dataset but hold everything: the root of a disk and
 * the user's home folder (by real path, so a link to either is refused too). A scan of either
 * reads every file on the disk, or all of the user's, to find images.
 */
async function refuseWholeDisk(real: string): Promise<void> {
  if (real === path.parse(real).root) {
    throw new ApiError(
      'invalid_input',
      `${real} is the root of the file system: scanning it would read every file on the disk. ` +
        'Choose the folder that holds the images.',
      'path',
    );
  }
  // No home folder, or none that exists: nothing to compare with.
  const home = await fs.realpath(os.homedir()).catch(() => undefined);
  if (real === home) {
    throw new ApiError(
      'invalid_input',
      `${real} is your home folder: scanning it would read all of your files. ` +
        `Choose the folder that holds the images (such as ${path.join(real, 'Pictures')}).`,
      'path',
    );
  }
}
