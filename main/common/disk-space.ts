import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempFileFor } from './temp-files.js';

/**
 * What the user reads when a run stops for want of disk space; the training worker says the same
 * when a checkpoint or sample write fails (worker/session.ts).
 */
export const diskFullRunMessage =
  'The disk is full: free space, then resume. Training paused at its last checkpoint.';
/** The same for anything else the studio was writing (a scan, a cache, an API call). */
export const diskFullMessage = 'The disk is full: free space, then try again.';

/**
 * True for an error that means the data folder's disk (or the user's quota) has no room left:
 * SQLite's SQLITE_FULL, its failure to size WAL's shared-memory file, or ENOSPC / EDQUOT from a
 * file write. An error that crossed from a worker thread as text is judged by its words.
 */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE' || code === 'ENOSPC' || code === 'EDQUOT')
    return true;
  const message = typeof err === 'string' ? err : err instanceof Error ? err.message : '';
  return /\b(ENOSPC|EDQUOT)\b|no space left/i.test(message);
}

/** Enough for SQLite to record a few status changes in its write-ahead log. */
const reserveBytes = 2 * 1024 * 1024;
/** Room that must be left beside a new reserve, for the work it is made for. */
const spareBytes = 4 * 1024 * 1024;

/**
 * A small file kept in the data folder so that, when the disk fills up, the studio can still
 * write down what happened: it is deleted to make room for the statuses that tell the user (a run
 * paused, a scan stopped), and made again when the studio next opens the folder or resumes work.
 * Random bytes, so a compressing file system cannot shrink it to nothing.
 */
export class DiskReserve {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'disk-reserve.bin');
  }

  /**
   * Makes the reserve if it is missing and the disk has room for it and a little more. False when
   * it has not: the disk is (nearly) full, and taking the last megabytes back for the reserve would
   * only make the work that needs them fail. Other failures are ignored; the reserve is a safety
   * margin, not a requirement.
   */
  ensure(): boolean {
    try {
      if (fs.statSync(this.file).size === reserveBytes) return true;
    } catch {
      /* missing: make it */
    }
    const temp = tempFileFor(this.file);
    try {
      const disk = fs.statfsSync(path.dirname(this.file));
      if (disk.bavail * disk.bsize < reserveBytes + spareBytes) return false;
      fs.writeFileSync(temp, randomBytes(reserveBytes));
      fs.renameSync(temp, this.file);
      return true;
    } catch (err) {
      fs.rmSync(temp, { force: true });
      return !isDiskFull(err);
    }
  }

  /** Deletes the reserve; true when there was one, so a write that failed may succeed now. */
  release(): boolean {
    try {
      fs.rmSync(this.file);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs a write that must not be lost for want of space (a status the user needs to see). When
   * the disk is full, the reserve is given up for it and the write tried once more.
   */
  write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (!isDiskFull(err) || !this.release()) throw err;
      return fn();
    }
  }
}
