import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../shared/errors.js';
import { modelParams, type ModelSize } from '../../shared/model-size.js';
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

// ---- room for new work ------------------------------------------------------------------------

/**
 * Free bytes this process may write on the disk that holds `dir`, or that will hold it: a folder
 * not made yet is measured at its nearest existing parent.
 */
export function freeBytes(dir: string): number {
  let at = path.resolve(dir);
  for (;;) {
    try {
      const disk = fs.statfsSync(at);
      return disk.bavail * disk.bsize;
    } catch (err) {
      const parent = path.dirname(at);
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === at) throw err;
      at = parent;
    }
  }
}

/** What a piece of work will write, by a generous estimate, and how to tell the user about it. */
export interface SpaceNeed {
  bytes: number;
  /** What is refused, after "to": "start this run". */
  what: string;
  /** How else to make it fit, after "Free some space, or": "generate fewer images"; may be empty. */
  instead: string;
}

function megabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb).toLocaleString('en-US')} MB`;
}

/**
 * Refuses work the disk has no room for: it would stop again at once, and spend the reserve (kept
 * for recording that) on the way. Says how much it needs and how much is free. Where the disk
 * cannot be measured, the work goes ahead and a full disk is met as it is when it fills up later.
 */
export function requireFreeSpace(
  dir: string,
  need: SpaceNeed,
  free: (dir: string) => number = freeBytes,
): void {
  let available: number;
  try {
    available = free(dir);
  } catch {
    return;
  }
  if (available >= need.bytes) return;
  throw new ApiError(
    'unavailable',
    `Not enough disk space to ${need.what}: it needs about ${megabytes(need.bytes)}, and ${megabytes(available)} ` +
      `is free on the disk of ${dir}. Free some space${need.instead ? `, or ${need.instead},` : ''} then try again.`,
  );
}

/**
 * The most a PNG of width × height RGB pixels takes: raw rows (each with its filter byte) when
 * nothing compresses, a little for deflate's stored blocks, and its chunks' headers.
 */
export function pngUpperBytes(width: number, height: number): number {
  return Math.ceil(height * (width * 3 + 1) * 1.01) + 1024;
}

/** Sample grids a new run is given room for: they are taken every 15–30 s early on, all kept. */
const gridsAhead = 100;

/**
 * Room to start a run: its checkpoints (float32 weights of G, its EMA copy and D, with Adam's two
 * moments of each; as many as are kept, plus the one being written) and its first sample grids.
 */
export function runSpaceNeed(
  config: ModelSize & { keepCheckpoints: number; sampleCount: number },
): SpaceNeed {
  const { generator, discriminator } = modelParams(config);
  const checkpoint = Math.ceil((4 * generator + 3 * discriminator) * 4 * 1.1) + 64 * 1024;
  const side = Math.ceil(Math.sqrt(config.sampleCount)) * (config.resolution + 2) + 2;
  const grid = pngUpperBytes(side, side);
  return {
    bytes: (config.keepCheckpoints + 1) * checkpoint + gridsAhead * grid + 1024 * 1024,
    what: 'start this run',
    instead: 'keep fewer checkpoints or train a smaller model (a lower resolution or width)',
  };
}

/** Room for a generated set: its PNGs at the run's resolution, and the manifest listing them. */
export function generationSpaceNeed(count: number, resolution: number): SpaceNeed {
  return {
    bytes: count * (pngUpperBytes(resolution, resolution) + 200) + 64 * 1024,
    what: `generate ${count.toLocaleString('en-US')} images`,
    instead: 'generate fewer images',
  };
}

/** Room for an exported animation, strip or sample: every frame's pixels, uncompressed. */
export function imageExportSpaceNeed(frames: number, side: number): SpaceNeed {
  return {
    bytes: frames * pngUpperBytes(side, side) + 64 * 1024,
    what: frames > 1 ? `export ${frames} frames of ${side}×${side} px` : `export a ${side}×${side} px image`,
    instead: frames > 1 ? 'export fewer frames, or at a smaller scale' : 'export it at a smaller scale',
  };
}

/** Room for an exported generator: its float32 weights, and the model's description. */
export function modelExportSpaceNeed(shape: ModelSize): SpaceNeed {
  return {
    bytes: modelParams(shape).generator * 4 + 256 * 1024,
    what: 'export the generator',
    instead: '',
  };
}
