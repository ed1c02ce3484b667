import { EagerQueue, orderedMap } from '../common/concurrency.js';
import { inspectFile, type ContentReason, type Inspection } from './inspect.js';
import type { RawImage } from './mosaic.js';
import type { ScanRow } from '../store/scan-row.js';
import { walk, type WalkEntry, type WalkFile } from './walk.js';

export { RootUnreadableError } from './walk.js';

export interface ScanOptions {
  /** Images with either side below this many pixels are skipped as 'too-small'. */
  minSize: number;
  signal?: AbortSignal;
  /** Files inspected at once. libuv runs four threads by default; more only queues. */
  concurrency?: number;
  /** Called after each file; total is null until the walk has found every file. */
  onProgress?: (done: number, total: number | null) => void;
  /**
   * The row a previous scan stored for a path, if any. When its size and modification time are
   * unchanged its content is taken as unchanged, so a rescan of a large folder only stats it.
   */
  previous?: (relPath: string) => ScanRow | undefined;
  /**
   * Keep the decoded pixels of used mosaic candidates (small plain PNGs) on their rows, for a
   * training cache built during the scan. Off by default: rows then hold no pixels.
   */
  keepPixels?: boolean;
}

/** A row as the scan yields it: with the decoded pixels when keepPixels asked for them. */
export interface ScannedRow extends ScanRow {
  pixels?: RawImage;
}

/** Skip reasons that come from the content alone, safe to carry over when the file is unchanged. */
function isContentReason(reason: ScanRow['reason']): reason is ContentReason {
  return reason === 'corrupt' || reason === 'not-an-image' || reason === 'unsupported-format';
}

function reuse(previous: ScanRow | undefined, file: WalkFile): Inspection | undefined {
  if (!previous || previous.bytes !== file.bytes || previous.mtimeMs !== file.mtimeMs) return undefined;
  const { reason } = previous;
  // Too-small and duplicate are decided again (the minimum or the other files may differ).
  const decoded = reason === null || reason === 'too-small' || reason === 'duplicate';
  if (!decoded && !isContentReason(reason)) return undefined; // 'unreadable': try again
  return {
    hash: previous.hash,
    format: previous.format,
    width: previous.width,
    height: previous.height,
    mode: previous.mode,
    problem: isContentReason(reason) ? { reason, detail: previous.detail ?? '' } : null,
  };
}

function problemRow(entry: WalkEntry & { kind: 'problem' }): ScanRow {
  const isFolder = entry.relPath.endsWith('/');
  const permission = entry.code === 'EACCES' || entry.code === 'EPERM';
  const detail =
    entry.code === 'EILSEQ'
      ? `Its name is not valid UTF-8 text (bytes shown as \\x..), so ${isFolder ? 'its files were not scanned' : 'it could not be opened'}. Rename it, then rescan.`
      : isFolder
        ? permission
          ? 'This folder could not be opened (permission denied), so its files were not scanned. Give GAN Studio read access and rescan.'
          : `This folder could not be opened (${entry.message}), so its files were not scanned.`
        : permission
          ? 'Permission denied. Give GAN Studio read access to this file and rescan.'
          : `This file could not be opened: ${entry.message}. Fix or remove it, then rescan.`;
  return {
    relPath: entry.relPath,
    bytes: 0,
    mtimeMs: 0,
    width: null,
    height: null,
    format: null,
    mode: null,
    hash: null,
    status: 'skipped',
    reason: 'unreadable',
    detail,
  };
}

function toRow(file: WalkFile, inspection: Inspection, minSize: number): ScannedRow {
  const row: ScanRow = {
    relPath: file.relPath,
    bytes: file.bytes,
    mtimeMs: file.mtimeMs,
    width: inspection.width,
    height: inspection.height,
    format: inspection.format,
    mode: inspection.mode,
    hash: inspection.hash,
    status: 'used',
    reason: null,
    detail: null,
  };
  if (inspection.problem) {
    return {
      ...row,
      status: 'skipped',
      reason: inspection.problem.reason,
      detail: inspection.problem.detail,
    };
  }
  // A vector image has no pixel size of its own: it is rendered at the training resolution.
  const small = row.format !== 'svg' && Math.min(row.width ?? 0, row.height ?? 0) < minSize;
  if (small) {
    return {
      ...row,
      status: 'skipped',
      reason: 'too-small',
      detail: `${row.width}×${row.height} px is smaller than the dataset's minimum of ${minSize} px a side.`,
    };
  }
  // Only a used row carries pixels on to a cache.
  return inspection.pixels ? { ...row, pixels: inspection.pixels } : row;
}

/**
 * Scans a folder: walks it, inspects each file (a few at a time) and yields one row per file in
 * folder order. The first of several byte-identical images is used and the rest are skipped as
 * 'duplicate'. Throws RootUnreadableError when the folder itself cannot be listed, and an
 * AbortError when the signal fires; a bad file never throws, it becomes a skipped row.
 */
export async function* scanFolder(root: string, options: ScanOptions): AsyncGenerator<ScannedRow> {
  const { minSize, signal, onProgress, previous } = options;
  // The walk gets its own signal so it also stops when the consumer stops early without aborting.
  const walkAbort = new AbortController();
  const onAbort = () => walkAbort.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const entries = new EagerQueue(walk(root, walkAbort.signal));
  const firstByHash = new Map<string, string>();
  let done = 0;
  try {
    const rows = orderedMap(
      entries,
      async (entry): Promise<ScannedRow> => {
        if (entry.kind === 'problem') return problemRow(entry);
        const inspection =
          reuse(previous?.(entry.relPath), entry) ??
          (await inspectFile(entry.absPath, entry.bytes, { keepPixels: options.keepPixels ?? false }));
        return toRow(entry, inspection, minSize);
      },
      { concurrency: options.concurrency ?? 4, signal },
    );
    for await (const row of rows) {
      let out = row;
      if (row.status === 'used' && row.hash) {
        const first = firstByHash.get(row.hash);
        if (first === undefined) firstByHash.set(row.hash, row.relPath);
        else {
          const { pixels: _pixels, ...rest } = row;
          out = {
            ...rest,
            status: 'skipped',
            reason: 'duplicate',
            detail: `Same content as ${first}, which is used.`,
          };
        }
      }
      done++;
      onProgress?.(done, entries.done ? entries.count : null);
      yield out;
    }
  } finally {
    walkAbort.abort();
    await entries.settled();
    signal?.removeEventListener('abort', onAbort);
  }
}
