import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ownerAlive } from './owner.js';

/**
 * Temporary files (a cache being built, a checkpoint being written, an upload arriving) are named
 * after the process that writes them, `<file>.<pid>-<host tag>-<random>.tmp`, so that recovery at
 * start deletes only those of a process that is gone. Several processes share a data folder (the
 * app, `serve`, CLI runs): deleting every temporary file on open broke the others' work.
 */
const hostTag = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

const tagged = /\.(\d+)-([0-9a-f]{8})-[0-9a-z]+\.tmp$/;
/** Names older versions used in the app's own folders: the pid only, written on this host. */
const legacy = [/\.tmp-(\d+)-[0-9a-z]+$/, /\.(\d+)\.\d+\.tmp$/];

/** A temporary name beside `file`, marked as this process's. */
export function tempFileFor(file: string): string {
  return `${file}.${process.pid}-${hostTag}-${randomBytes(4).toString('hex')}.tmp`;
}

export interface TempFileOptions {
  /**
   * Also recognise older versions' names. Only in folders whose every file the studio wrote
   * (runs, caches): a copied user folder may hold a file that merely looks like one.
   */
  legacy?: boolean;
}

/**
 * For a file name made by tempFileFor (or an older version's equivalent): true when the process
 * writing it is gone, false while it runs; undefined for any other name. A file from another
 * host cannot be checked and counts as gone, as runs do (owner.ts).
 */
export function isStaleTempFile(name: string, options: TempFileOptions = {}): boolean | undefined {
  const match = tagged.exec(name);
  if (match) {
    if (match[2] !== hostTag) return true;
    return !ownerAlive(`${os.hostname()}:${match[1]}`);
  }
  if (!options.legacy) return undefined;
  for (const pattern of legacy) {
    const old = pattern.exec(name);
    if (old) return !ownerAlive(`${os.hostname()}:${old[1]}`);
  }
  return undefined;
}

/**
 * Deletes the temporary files of processes that are gone in `dir` and its subfolders down to
 * `depth` levels (0: the folder only). Best effort: a folder that cannot be read is passed over.
 * Returns how many it deleted.
 */
export function removeStaleTempFiles(dir: string, depth: number, options: TempFileOptions = {}): number {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (depth > 0) removed += removeStaleTempFiles(full, depth - 1, options);
    } else if (entry.isFile() && isStaleTempFile(entry.name, options) === true) {
      try {
        fs.rmSync(full, { force: true });
        removed++;
      } catch {
        /* removed by another process meanwhile, or not ours to remove */
      }
    }
  }
  return removed;
}
