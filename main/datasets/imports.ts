import { dataPaths } from '../common/paths.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, firstLineOf } from '../../shared/errors.js';
import { diskFullMessage, isDiskFull } from '../common/disk-space.js';
import { tempFileFor } from '../common/temp-files.js';
import { inside } from '../common/folder-safety.js';

/** Largest single file accepted by an upload (a big TIFF scan fits; a video does not). */
export const maxImportFileBytes = 512 * 1024 * 1024;

/**
 * Longest file or folder name accepted, in bytes: file systems allow 255, and the temporary name
 * written first adds a suffix.
 */
const maxNameBytes = 200;

const importIdPattern = /^imp-[a-z0-9]{6,40}$/;

/** True for `<dataDir>/imports/<one folder>`: a copy the studio owns, not a user's folder. */
export function isImportedCopy(dataDir: string, folder: string): boolean {
  const root = dataPaths.imports(dataDir);
  return inside(root, folder) && !path.relative(root, folder).includes(path.sep);
}

export interface ImportFileInput {
  /** The upload's folder, `imp-…`, one per picked folder. */
  importId: string;
  /** The file's path inside the picked folder, one name per element. */
  relPath: readonly string[];
  /** Its size as announced; a body of another size is refused. */
  bytes: number;
  body: Readable;
}

/**
 * `serve` mode's folder picker: a browser knows a picked folder's files but not its path on
 * disk, so the page sends them one by one into `<dataDir>/imports/<importId>/`, keeping
 * subfolders, then adds that copy as a dataset. Returns the copy's folder.
 */
export async function importFile(dataDir: string, input: ImportFileInput): Promise<string> {
  const { importId, relPath, bytes } = input;
  if (!importIdPattern.test(importId) || relPath.length === 0) {
    throw new ApiError('invalid_input', 'Upload to /upload/<import id>/<relative file path>.');
  }
  if (relPath.some((p) => p === '' || p === '..' || p === '.' || /[/\\\0]/.test(p))) {
    throw new ApiError('invalid_input', 'A relative file path may not leave its folder.');
  }
  const long = relPath.find((p) => Buffer.byteLength(p) > maxNameBytes);
  if (long !== undefined) {
    throw new ApiError(
      'invalid_input',
      `The name "${long.slice(0, 40)}…" is ${Buffer.byteLength(long)} bytes long; names of up to ${maxNameBytes} bytes ` +
        'are imported. Rename it, or copy the folder to this machine and add its path instead.',
    );
  }
  if (bytes > maxImportFileBytes) {
    throw new ApiError(
      'payload_too_large',
      `Files over ${maxImportFileBytes / 2 ** 20} MiB are not imported; copy the folder and add its path instead.`,
    );
  }
  const folder = path.join(dataPaths.imports(dataDir), importId);
  const target = path.join(folder, ...relPath);
  if (!inside(folder, target))
    throw new ApiError('invalid_input', 'A relative file path may not leave its folder.');
  // Written beside, then renamed: a dropped connection never leaves a truncated image behind.
  const temp = tempFileFor(target);
  try {
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    await pipeline(input.body, fs.createWriteStream(temp));
    const { size } = await fs.promises.stat(temp);
    if (size !== bytes) throw new Error(`received ${size} of ${bytes} bytes`);
    await fs.promises.rename(temp, target);
  } catch (err) {
    await fs.promises.rm(temp, { force: true }).catch(() => undefined);
    if (isDiskFull(err)) throw new ApiError('unavailable', diskFullMessage);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENAMETOOLONG') {
      throw new ApiError(
        'invalid_input',
        `The path ${relPath.join('/')} is too long for this disk. Copy the folder to this machine and add its path instead.`,
      );
    }
    throw new ApiError(
      'invalid_input',
      `The upload of ${relPath.join('/')} failed (${firstLineOf(err)}). Try again.`,
    );
  }
  return folder;
}
