import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { ApiError, firstLineOf } from '../../shared/errors.js';
import type { EventPayloads } from '../../shared/events.js';
import type { DatasetStatus } from '../../shared/types.js';
import { isDiskFull } from '../common/disk-space.js';
import { ownerAlive, thisProcess } from '../common/owner.js';
import type { DatasetRecord } from '../store/datasets.js';
import type { CacheSettings } from './cache.js';
import {
  cacheSource,
  maxCachePixelBytes,
  progressIntervalMs,
  storedCache,
  workConcurrency,
} from './cache-builds.js';
import { isAbortError, Throttle } from '../common/concurrency.js';
import type { DatasetContext } from './context.js';
import { emptyExplanation, ReportBuilder, skippedTotal } from './report.js';
import type { ScanRow } from '../store/scan-row.js';
import { RootUnreadableError, scanFolder } from './scan.js';
import { ScanCache, type FinishedScanCache } from './scan-cache.js';
import { loadSharp } from '../common/sharp-loader.js';

interface Task {
  controller: AbortController;
  promise: Promise<void>;
}

/** Rows written to the staging table per transaction. */
const stageBatch = 500;
/** How often a process waiting for another one's scan looks at the store. */
const foreignScanPollMs = 200;

/** The status a dataset returns to when a rescan stops early: that of its last complete scan. */
function statusOfLastScan(
  record: DatasetRecord,
): { status: DatasetStatus; error: string | null } | undefined {
  if (!record.report) return undefined;
  return record.report.usable > 0
    ? { status: 'ready', error: null }
    : { status: 'empty', error: emptyExplanation(record.report) };
}

/** The pid of a live process other than this one that is scanning the dataset, if any. */
export function scannedElsewhere(record: DatasetRecord): string | undefined {
  const owner = record.scanOwner;
  if (record.status !== 'scanning' || owner === null || owner === thisProcess || !ownerAlive(owner))
    return undefined;
  return owner.slice(owner.lastIndexOf(':') + 1);
}

/**
 * Scans of dataset folders, in the background: walks and inspects the folder (scan.ts), stages
 * the rows and replaces the file list in one transaction at the end, optionally building the
 * training cache on the way (scan-cache.ts). A scan records the process that runs it; at start,
 * only scans whose process is gone are recovered.
 */
export class ScanJobs {
  private readonly scans = new Map<string, Task>();

  constructor(private readonly ctx: DatasetContext) {}

  /** Whether this process is scanning the dataset. */
  has(id: string): boolean {
    return this.scans.has(id);
  }

  /**
   * Starts scanning a dataset whose record already says 'scanning' and names this process
   * (create and markScanning do). The previous file list, if any, stays until the new one is
   * complete.
   */
  start(record: DatasetRecord, isRescan: boolean, cache?: CacheSettings): void {
    const controller = new AbortController();
    const promise = this.run(record, controller.signal, isRescan, cache)
      .catch((err: unknown) => {
        // run() records its own failures; this is a last guard (e.g. the database closed).
        console.error(`[datasets] scan of ${record.id} failed:`, err);
      })
      .finally(() => {
        if (this.scans.get(record.id)?.promise === promise) this.scans.delete(record.id);
      });
    this.scans.set(record.id, { controller, promise });
  }

  /** Marks a dataset as being scanned by this process, keeping its file list for now. */
  markScanning(id: string): DatasetRecord | undefined {
    return this.ctx.datasets.update(id, { status: 'scanning', error: null, scanOwner: thisProcess });
  }

  /** Stops this process's scan of the dataset; false when it has none. */
  cancel(id: string): boolean {
    const task = this.scans.get(id);
    if (!task) return false;
    task.controller.abort();
    return true;
  }

  /**
   * Resolves when the dataset's scan has ended: this process's, or another live process's on the
   * same data folder (the CLI's `train --data DIR` started twice). A scan whose process died
   * meanwhile is recovered here rather than waited for.
   */
  async wait(id: string): Promise<void> {
    const task = this.scans.get(id);
    if (task) return task.promise;
    for (;;) {
      const record = this.ctx.datasets.get(id);
      if (!record || record.status !== 'scanning' || this.ctx.closing) return;
      if (scannedElsewhere(record) === undefined) {
        if (record.scanOwner !== thisProcess) this.recover(record);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, foreignScanPollMs));
    }
  }

  /** Stops this process's scan of the dataset; resolves when it has ended. */
  async stop(id: string): Promise<void> {
    const task = this.scans.get(id);
    task?.controller.abort();
    await task?.promise;
  }

  async stopAll(): Promise<void> {
    const tasks = [...this.scans.values()];
    for (const task of tasks) task.controller.abort();
    await Promise.allSettled(tasks.map((t) => t.promise));
  }

  /**
   * Datasets left 'scanning' by a process that closed or crashed mid-scan. A scan another live
   * process is running is left alone.
   */
  recoverInterrupted(): void {
    for (const record of this.ctx.datasets.list()) {
      if (record.status !== 'scanning' || record.scanOwner === thisProcess) continue;
      if (record.scanOwner !== null && ownerAlive(record.scanOwner)) continue;
      this.recover(record);
    }
  }

  private recover(record: DatasetRecord): void {
    this.ctx.durable(() =>
      this.ctx.datasets.update(record.id, {
        ...(statusOfLastScan(record) ?? {
          status: 'cancelled',
          error: 'The scan was interrupted when GAN Studio closed. Rescan the folder to finish it.',
        }),
        scanOwner: null,
      }),
    );
  }

  private async run(
    record: DatasetRecord,
    signal: AbortSignal,
    isRescan: boolean,
    cacheSettings?: CacheSettings,
  ): Promise<void> {
    const { ctx } = this;
    const id = record.id;
    const scanId = `${id}:${process.pid}-${randomBytes(4).toString('hex')}`;
    const started = Date.now();
    const previous = isRescan ? ctx.files.byPath(id) : undefined;
    const report = new ReportBuilder(record.minSize);
    const progress = new Throttle<Omit<EventPayloads['dataset.progress'], 'datasetId' | 'phase'>>(
      progressIntervalMs,
      (at) => ctx.emit('dataset.progress', { datasetId: id, phase: 'scanning', ...at }),
    );
    /** Where the walk stands: files done, and all it found once it has listed them. */
    let position: { done: number; total: number | null } = { done: 0, total: null };
    let batch: ScanRow[] = [];
    let staged = 0;
    const flush = () => {
      if (batch.length === 0) return;
      ctx.files.stage(scanId, staged, batch);
      staged += batch.length;
      batch = [];
    };
    let cache = cacheSettings && (await this.startCache(id, cacheSettings));
    let finished: FinishedScanCache | undefined;
    try {
      progress.push({ ...position, found: report.found() });
      const rows = scanFolder(record.path, {
        minSize: record.minSize,
        signal,
        concurrency: workConcurrency,
        keepPixels: cache !== undefined,
        onProgress: (done, total) => (position = { done, total }),
        ...(previous ? { previous: (relPath: string) => previous.get(relPath) } : {}),
      });
      for await (const { pixels, ...row } of rows) {
        batch.push(row);
        report.add(row);
        // After the row is counted, so the counts sent match the files done.
        progress.push({ ...position, found: report.found() });
        if (batch.length >= stageBatch) flush();
        const source = cache && row.status === 'used' ? cacheSource(record, row) : undefined;
        if (cache && source) await cache.add(row, pixels ? { ...source, pixels } : source);
      }
      flush();
      progress.flush();
      // A folder deleted after its files were listed makes each file fail as unreadable; the
      // result would look like a complete scan of broken files. It is a failed scan.
      if (!(await isFolder(record.path)))
        throw new RootUnreadableError('ENOENT', 'the folder no longer exists');
      if (signal.aborted) throw new DOMException('Aborted', 'AbortError');
      const built = report.build(Date.now() - started);
      finished = cache && (await this.finishCache(id, cache));
      cache = undefined;
      if (!ctx.datasets.get(id)) {
        if (finished) await fs.rm(finished.file, { force: true });
        return ctx.files.discardStage(scanId); // removed meanwhile
      }
      ctx.conn.transaction(() => {
        ctx.files.replaceWithStage(id, scanId);
        if (finished) ctx.files.putCache(id, storedCache(ctx.dataDir, finished));
        ctx.datasets.update(id, {
          status: built.usable > 0 ? 'ready' : 'empty',
          imageCount: built.usable,
          skippedCount: skippedTotal(built),
          duplicateCount: built.skipped.duplicate,
          report: built,
          error: built.usable > 0 ? null : emptyExplanation(built),
          scanOwner: null,
        });
      });
    } catch (err) {
      await cache?.abort();
      if (finished) await fs.rm(finished.file, { force: true }); // never recorded
      ctx.files.discardStage(scanId);
      const current = ctx.datasets.get(id);
      if (!current) return; // removed meanwhile: nothing to record
      const end = this.endState(current, err);
      ctx.durable(() => ctx.datasets.update(id, { ...end, scanOwner: null }));
    }
    ctx.emit('dataset.status', { datasetId: id });
  }

  /**
   * Starts the training cache of a scan (add's cache option). A cache that cannot start (no space
   * for its file, say) is left for a later build: the scan goes on without it.
   */
  private async startCache(id: string, settings: CacheSettings): Promise<ScanCache | undefined> {
    try {
      return await ScanCache.start(await loadSharp(), {
        datasetId: id,
        dir: this.ctx.datasetDir(id),
        settings,
        concurrency: workConcurrency,
        maxPixelBytes: maxCachePixelBytes,
      });
    } catch (err) {
      console.warn(
        `[datasets] ${id}: the training cache could not be built during the scan:`,
        firstLineOf(err),
      );
      return undefined;
    }
  }

  /** Completes a scan's cache; undefined (and a log line) when it could not be made. */
  private async finishCache(id: string, cache: ScanCache): Promise<FinishedScanCache | undefined> {
    try {
      return await cache.finish();
    } catch (err) {
      console.warn(
        `[datasets] ${id}: the training cache could not be built during the scan:`,
        firstLineOf(err),
      );
      await cache.abort();
      return undefined;
    }
  }

  /** What a scan that did not complete leaves the dataset as. */
  private endState(record: DatasetRecord, err: unknown): { status: DatasetStatus; error: string | null } {
    if (isAbortError(err)) {
      // A stopped rescan leaves the last complete scan in place, still valid.
      return (
        statusOfLastScan(record) ?? {
          status: 'cancelled',
          error: this.ctx.closing
            ? 'The scan was stopped when GAN Studio closed. Rescan the folder to finish it.'
            : 'The scan was cancelled. Rescan the folder to scan it completely.',
        }
      );
    }
    if (isDiskFull(err)) {
      return (
        statusOfLastScan(record) ?? { status: 'failed', error: 'The disk is full: free space, then rescan.' }
      );
    }
    if (err instanceof RootUnreadableError) {
      const gone = err.code === 'ENOENT' || err.code === 'ENOTDIR';
      return {
        status: 'failed',
        error: gone
          ? `The folder ${record.path} disappeared during the scan (moved, renamed, deleted or on a disconnected drive). ` +
            'Put it back and rescan, or remove this dataset and add the folder from its new place.'
          : `The folder ${record.path} could not be read (${err.message}). Check that GAN Studio may read it, then rescan.`,
      };
    }
    return {
      status: 'failed',
      error: `The scan stopped on an unexpected error (${firstLineOf(err)}). Rescan to try again.`,
    };
  }
}

/** Refuses to act on a scan another live process runs: it can only be stopped there. */
export function refuseIfScannedElsewhere(record: DatasetRecord, what: string): void {
  const pid = scannedElsewhere(record);
  if (pid !== undefined) {
    throw new ApiError(
      'conflict',
      `The folder ${record.path} is being scanned by another GAN Studio process (pid ${pid}) on this data folder, so it cannot be ${what} here. Do it there, or wait for the scan to finish.`,
    );
  }
}

async function isFolder(folder: string): Promise<boolean> {
  try {
    return (await fs.stat(folder)).isDirectory();
  } catch {
    return false;
  }
}
