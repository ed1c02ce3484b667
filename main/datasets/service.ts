import { constants as bufferConstants } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cacheResolutions, cropModes, type CropMode } from '../../shared/config.js';
import { ApiError, firstLineOf } from '../../shared/errors.js';
import type { Emit } from '../../shared/events.js';
import type { DatasetDetail, DatasetFile, DatasetStatus, DatasetSummary } from '../../shared/types.js';
import { diskFullMessage, isDiskFull, type DiskReserve } from '../disk-space.js';
import type { Connection } from '../store/database.js';
import { toDatasetSummary, type DatasetRecord, type DatasetStore } from '../store/datasets.js';
import type { CacheMeta } from './cache-format.js';
import { buildCacheFile, cacheFileName, cacheKey, type CacheSettings } from './cache.js';
import type { CacheJob, CacheSource } from './cache-protocol.js';
import { isAbortError, Throttle } from './concurrency.js';
import { DatasetFileStore, type StoredCache, type StoredFile } from './file-store.js';
import { fileIn, inside, realFileIn } from './folder-safety.js';
import { defaultBackground, emptyExplanation, ReportBuilder, skippedTotal } from './report.js';
import type { ScanRow } from './rows.js';
import { RootUnreadableError, scanFolder } from './scan.js';
import { ScanCache, type FinishedScanCache } from './scan-cache.js';
import { loadSharp } from './sharp-loader.js';
import { Thumbnailer } from './thumbnails.js';

export interface DatasetServiceOptions {
  conn: Connection;
  datasets: DatasetStore;
  /** The app data folder; this service owns `<dataDir>/datasets/`. */
  dataDir: string;
  emit: Emit;
  /** Room kept for recording a scan's end when the disk fills up (see disk-space.ts). */
  reserve?: DiskReserve;
}

export interface AddDatasetInput {
  path: string;
  name?: string;
  /** Images with a side shorter than this are skipped (default 16). */
  minSize?: number;
  /**
   * Build the training cache at these settings during the scan, decoding each image once for
   * both (see scan-cache.ts). buildCache at the same settings then returns it at once.
   */
  cache?: { resolution: number; crop?: CropMode; flip?: boolean };
}

export interface FilesQuery {
  id: string;
  status?: 'all' | 'used' | 'skipped';
  offset?: number;
  limit?: number;
}

export interface BuildCacheInput {
  id: string;
  resolution: number;
  crop?: CropMode;
  flip?: boolean;
}

export interface BuiltCache {
  key: string;
  count: number;
  /** Absolute path of the cache file (see cache-format.ts). */
  file: string;
}

interface Task {
  controller: AbortController;
  promise: Promise<void>;
}

interface BuildTask {
  datasetId: string;
  controller: AbortController;
  promise: Promise<BuiltCache>;
}

/** Rows written to the staging table per transaction. */
const stageBatch = 500;
/** The UI needs about ten progress updates a second. */
const progressIntervalMs = 100;
/** The trainer loads a cache whole into one Buffer; a little is left for the header. */
const maxCachePixelBytes = bufferConstants.MAX_LENGTH - 1024 * 1024;
/** Images rendered at once: the libuv pool's default four threads. */
const workConcurrency = 4;

const safeId = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * What a cache build needs of a used file. Only paths inside the dataset's folder: the database
 * is trusted no further than the API input.
 */
function cacheSource(record: DatasetRecord, file: ScanRow): CacheSource | undefined {
  const absPath = fileIn(record.path, file.relPath);
  if (!absPath) return undefined;
  const { relPath, format, mode, width, height } = file;
  const svg = format === 'svg' && width && height ? { svg: { width, height } } : {};
  return { relPath, absPath, format, mode, width, height, ...svg };
}

/** Checked cache settings, with the defaults filled in. */
function cacheSettings(input: { resolution: number; crop?: CropMode; flip?: boolean }): CacheSettings {
  const { resolution } = input;
  const crop = input.crop ?? 'center';
  const flip = input.flip ?? false;
  if (!(cacheResolutions as readonly number[]).includes(resolution)) {
    throw new ApiError(
      'invalid_input',
      `The cache resolution must be one of ${cacheResolutions.join(', ')} px.`,
      'resolution',
    );
  }
  if (!cropModes.includes(crop)) {
    throw new ApiError('invalid_input', `The crop must be one of: ${cropModes.join(', ')}.`, 'crop');
  }
  return { resolution, crop, flip, background: { ...defaultBackground } };
}

/** The dataset_caches record of a finished cache file. */
function storedCache(
  dataDir: string,
  cache: { file: string; meta: CacheMeta; count: number; bytes: number },
): StoredCache {
  const { key, resolution, crop, flip } = cache.meta;
  return {
    key,
    resolution,
    crop,
    flip,
    count: cache.count,
    bytes: cache.bytes,
    createdAt: Date.now(),
    file: path.relative(dataDir, cache.file).split(path.sep).join('/'),
  };
}

/**
 * Files the grid shows as images: used ones, and those decoded but skipped only for their size or
 * as a copy. Nothing else of a folder (text, sound, a link to a system file) is ever served.
 */
function shownAsImage(file: StoredFile): boolean {
  return (
    file.hash !== null &&
    (file.status === 'used' || file.reason === 'too-small' || file.reason === 'duplicate')
  );
}

function uniqueSuffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The status a dataset returns to when a rescan stops early: that of its last complete scan. */
function statusOfLastScan(
  record: DatasetRecord,
): { status: DatasetStatus; error: string | null } | undefined {
  if (!record.report) return undefined;
  return record.report.usable > 0
    ? { status: 'ready', error: null }
    : { status: 'empty', error: emptyExplanation(record.report) };
}

/**
 * Datasets: adding a folder, scanning it in the background, its report and file list, training
 * caches and thumbnails. Owns `<dataDir>/datasets/<id>/` (caches and thumbnails) and never
 * writes to or deletes anything in the user's folders.
 */
export class DatasetService {
  private readonly conn: Connection;
  private readonly datasets: DatasetStore;
  private readonly dataDir: string;
  private readonly emit: Emit;
  private readonly reserve: DiskReserve | undefined;
  private readonly fileStore: DatasetFileStore;
  private readonly thumbnails = new Thumbnailer();
  private readonly scans = new Map<string, Task>();
  private readonly builds = new Map<string, BuildTask>();
  private readonly cleanups = new Set<Promise<void>>();
  private closing = false;

  constructor(options: DatasetServiceOptions) {
    this.conn = options.conn;
    this.datasets = options.datasets;
    this.dataDir = path.resolve(options.dataDir);
    this.emit = options.emit;
    this.reserve = options.reserve;
    this.fileStore = new DatasetFileStore(this.conn);
    this.recoverInterrupted();
  }

  // ---- datasets -------------------------------------------------------------------------------

  /**
   * Registers a folder and starts scanning it in the background; returns at once with status
   * 'scanning'. A folder added before (by any path that leads to it) returns its dataset.
   */
  async add(input: AddDatasetInput): Promise<DatasetSummary> {
    this.assertOpen();
    const minSize = input.minSize ?? 16;
    if (!Number.isInteger(minSize) || minSize < 1 || minSize > 4096) {
      throw new ApiError(
        'invalid_input',
        'The minimum image size must be a whole number of pixels from 1 to 4096.',
        'minSize',
      );
    }
    const cache = input.cache ? cacheSettings(input.cache) : undefined;
    const folder = await this.resolveFolder(input.path);
    const existing = this.datasets.findByPath(folder);
    if (existing) return toDatasetSummary(existing);
    const name = input.name?.trim() || path.basename(folder) || folder;
    const record = this.datasets.create({ name, path: folder, minSize });
    this.startScan(record, false, cache);
    this.emit('dataset.status', { datasetId: record.id });
    return toDatasetSummary(record);
  }

  /** Scans the folder again; the current file list stays until the new one is complete. */
  async rescan(id: string): Promise<DatasetSummary> {
    this.assertOpen();
    const record = this.require(id);
    if (this.scans.has(id)) return toDatasetSummary(record);
    const updated = this.datasets.update(id, { status: 'scanning', error: null }) ?? record;
    this.startScan(updated, true);
    this.emit('dataset.status', { datasetId: id });
    return toDatasetSummary(updated);
  }

  /** Stops a running scan; false when none was running. */
  cancelScan(id: string): boolean {
    this.require(id);
    const task = this.scans.get(id);
    if (!task) return false;
    task.controller.abort();
    return true;
  }

  /** Resolves when the dataset's current scan (if any) has ended. */
  async waitForScan(id: string): Promise<void> {
    const task = this.scans.get(id);
    if (!task) {
      this.require(id);
      return;
    }
    await task.promise;
  }

  /**
   * Forgets a dataset: stops its scan and cache builds, deletes its record, file list and caches,
   * and the app's own files for it (caches, thumbnails). The user's folder is not touched.
   */
  remove(id: string): boolean {
    const record = this.datasets.get(id);
    if (!record) return false;
    const scan = this.scans.get(id);
    scan?.controller.abort();
    const builds = [...this.builds.values()].filter((b) => b.datasetId === id);
    for (const build of builds) build.controller.abort();
    this.datasets.delete(id); // dataset_files and dataset_caches go with it (ON DELETE CASCADE)
    this.track(
      (async () => {
        await Promise.allSettled([scan?.promise, ...builds.map((b) => b.promise)]);
        await this.thumbnails.idle();
        await this.removeAppFiles(id);
      })(),
    );
    this.emit('dataset.status', { datasetId: id });
    return true;
  }

  list(): DatasetSummary[] {
    return this.datasets.list().map(toDatasetSummary);
  }

  get(id: string): DatasetDetail {
    const record = this.require(id);
    const caches = this.fileStore.caches(id).map(({ file: _file, ...cache }) => cache);
    return { ...toDatasetSummary(record), report: record.report, caches };
  }

  files(query: FilesQuery): { total: number; files: DatasetFile[] } {
    this.require(query.id);
    const offset = Math.max(0, Math.trunc(query.offset ?? 0));
    const limit = Math.min(5000, Math.max(1, Math.trunc(query.limit ?? 500)));
    return this.fileStore.list(query.id, query.status ?? 'all', offset, limit);
  }

  // ---- training caches ------------------------------------------------------------------------

  /**
   * Returns the training cache of the dataset's used images at these settings, building it in a
   * worker thread if it does not exist yet. Unchanged files and settings reuse the file on disk;
   * a cache for the same settings made from an older file list is deleted once the new one exists.
   */
  async buildCache(input: BuildCacheInput): Promise<BuiltCache> {
    this.assertOpen();
    const record = this.require(input.id);
    const settings = cacheSettings(input);
    const { resolution, crop, flip } = settings;
    this.assertTrainable(record);
    const used = this.fileStore.usedFiles(record.id);
    // The trainer loads a cache whole into one buffer: refuse one it could never load.
    const pixelBytes = used.length * resolution * resolution * 3;
    if (pixelBytes > maxCachePixelBytes) {
      const gb = (n: number) => (n / 1024 ** 3).toFixed(1);
      throw new ApiError(
        'invalid_input',
        `A ${resolution} px cache of ${used.length} images would take ${gb(pixelBytes)} GB, more than can be loaded ` +
          `at once (${gb(bufferConstants.MAX_LENGTH)} GB). Choose a lower resolution, or a folder with fewer images.`,
        'resolution',
      );
    }
    const key = cacheKey(used, settings);
    const file = path.join(this.datasetDir(record.id), cacheFileName(key));
    const stored = this.fileStore.cache(record.id, key);
    if (stored && (await sizeOf(file)) === stored.bytes) return { key, count: stored.count, file };

    const buildId = `${record.id}/${key}`;
    const running = this.builds.get(buildId);
    if (running) return running.promise;
    const controller = new AbortController();
    const job: CacheJob = {
      sources: used.flatMap((f) => cacheSource(record, f) ?? []),
      file,
      tempFile: `${file}.tmp-${uniqueSuffix()}`,
      render: { resolution, crop, background: settings.background },
      flip,
      meta: {
        key,
        datasetId: record.id,
        resolution,
        crop,
        flip,
        background: settings.background,
        createdAt: Date.now(),
      },
      concurrency: workConcurrency,
    };
    const promise = this.runBuild(record, job, controller.signal).finally(() => this.builds.delete(buildId));
    this.builds.set(buildId, { datasetId: record.id, controller, promise });
    return promise;
  }

  private async runBuild(record: DatasetRecord, job: CacheJob, signal: AbortSignal): Promise<BuiltCache> {
    const id = record.id;
    const { key } = job.meta;
    const progress = new Throttle<{ done: number; total: number }>(progressIntervalMs, ({ done, total }) =>
      this.emit('dataset.progress', { datasetId: id, phase: 'caching', done, total }),
    );
    progress.push({ done: 0, total: job.sources.length });
    let result;
    try {
      result = await buildCacheFile(job, {
        signal,
        onProgress: (done, total) => progress.push({ done, total }),
      });
    } catch (err) {
      if (isAbortError(err)) {
        throw this.closing
          ? new ApiError(
              'unavailable',
              'GAN Studio is closing, so the training cache was not finished. It will be built again next time.',
            )
          : new ApiError('not_found', 'The dataset was removed while its training cache was being built.');
      }
      if (isDiskFull(err)) throw new ApiError('unavailable', diskFullMessage);
      throw new ApiError(
        'internal',
        `Building the training cache failed: ${firstLineOf(err)}. Check that the disk has free space, then try again.`,
      );
    }
    progress.flush();
    if (!this.datasets.get(id)) {
      await fs.rm(job.file, { force: true });
      throw new ApiError('not_found', 'The dataset was removed while its training cache was being built.');
    }
    if (result.count === 0) {
      await fs.rm(job.file, { force: true });
      throw new ApiError(
        'conflict',
        `None of the ${job.sources.length} images could be read while building the training cache (first error: ` +
          `${result.skipped[0]?.message ?? 'unknown'}). The files may have changed or moved since the scan: rescan the folder, then try again.`,
      );
    }
    const { resolution, crop, flip } = job.meta;
    this.fileStore.putCache(id, storedCache(this.dataDir, { file: job.file, meta: job.meta, ...result }));
    // Older caches for the same settings describe a file list that no longer exists.
    for (const old of this.fileStore.caches(id)) {
      if (old.key === key || old.resolution !== resolution || old.crop !== crop || old.flip !== flip)
        continue;
      this.fileStore.deleteCache(id, old.key);
      await fs.rm(path.join(this.dataDir, old.file), { force: true });
    }
    this.emit('dataset.status', { datasetId: id });
    return { key, count: result.count, file: job.file };
  }

  // ---- images ---------------------------------------------------------------------------------

  /** Path of a 160 px WebP thumbnail of a file, made on first request and kept on disk. */
  async thumbnail(id: string, fileId: number): Promise<string> {
    const record = this.require(id);
    const file = this.requireFile(record, fileId);
    if (!shownAsImage(file)) {
      throw new ApiError(
        'invalid_input',
        `${file.relPath} has no thumbnail: it was skipped (${file.reason}). ${file.detail ?? ''}`.trim(),
        'fileId',
      );
    }
    // Named by content too: a file replaced in place keeps its id but gets a new thumbnail.
    const out = path.join(this.datasetDir(id), 'thumbs', `${file.id}-${file.hash!.slice(0, 12)}.webp`);
    const absPath = await this.realPathOf(record, file);
    try {
      const made = await this.thumbnails.get(
        { absPath, format: file.format, width: file.width, height: file.height },
        out,
      );
      if (!this.datasets.get(id)) {
        // Removed while rendering: do not leave the thumbnail behind in a deleted dataset's folder.
        this.track(this.removeAppFiles(id));
        throw new ApiError('not_found', `No dataset with id ${id}. It was removed.`);
      }
      return made;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(
        'unavailable',
        `The thumbnail of ${file.relPath} could not be made (${firstLineOf(err)}). The file may have changed or moved: rescan the folder.`,
      );
    }
  }

  /**
   * The real path of an image of the dataset, for showing it: only files shown as images, and only
   * when the real path (links resolved) lies inside the dataset's real folder.
   */
  async originalPath(id: string, fileId: number): Promise<string> {
    const record = this.require(id);
    const file = this.requireFile(record, fileId);
    if (!shownAsImage(file)) {
      throw new ApiError(
        'not_found',
        `${file.relPath} is not shown: it was skipped (${file.reason}), and only images of a dataset are served.`,
        'fileId',
      );
    }
    return this.realPathOf(record, file);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Stops scans and cache builds and waits for them (and pending clean-ups) to end. */
  async close(): Promise<void> {
    this.closing = true;
    const scans = [...this.scans.values()];
    const builds = [...this.builds.values()];
    for (const task of [...scans, ...builds]) task.controller.abort();
    await Promise.allSettled([...scans, ...builds].map((t) => t.promise));
    await this.thumbnails.idle();
    await Promise.allSettled([...this.cleanups]);
  }

  // ---- scanning -------------------------------------------------------------------------------

  private startScan(record: DatasetRecord, isRescan: boolean, cache?: CacheSettings): void {
    const controller = new AbortController();
    const promise = this.runScan(record, controller.signal, isRescan, cache)
      .catch((err: unknown) => {
        // runScan records its own failures; this is a last guard (e.g. the database closed).
        console.error(`[datasets] scan of ${record.id} failed:`, err);
      })
      .finally(() => {
        if (this.scans.get(record.id)?.promise === promise) this.scans.delete(record.id);
      });
    this.scans.set(record.id, { controller, promise });
  }

  private async runScan(
    record: DatasetRecord,
    signal: AbortSignal,
    isRescan: boolean,
    cacheSettings?: CacheSettings,
  ): Promise<void> {
    const id = record.id;
    const scanId = `${id}:${uniqueSuffix()}`;
    const started = Date.now();
    const previous = isRescan ? this.fileStore.byPath(id) : undefined;
    const report = new ReportBuilder(record.minSize);
    const progress = new Throttle<{ done: number; total: number | null }>(
      progressIntervalMs,
      ({ done, total }) => this.emit('dataset.progress', { datasetId: id, phase: 'scanning', done, total }),
    );
    let batch: ScanRow[] = [];
    let staged = 0;
    const flush = () => {
      if (batch.length === 0) return;
      this.fileStore.stage(scanId, staged, batch);
      staged += batch.length;
      batch = [];
    };
    let cache = cacheSettings && (await this.startScanCache(id, cacheSettings));
    let finished: FinishedScanCache | undefined;
    try {
      progress.push({ done: 0, total: null });
      const rows = scanFolder(record.path, {
        minSize: record.minSize,
        signal,
        concurrency: workConcurrency,
        keepPixels: cache !== undefined,
        onProgress: (done, total) => progress.push({ done, total }),
        ...(previous ? { previous: (relPath: string) => previous.get(relPath) } : {}),
      });
      for await (const { pixels, ...row } of rows) {
        batch.push(row);
        report.add(row);
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
      finished = cache && (await this.finishScanCache(id, cache));
      cache = undefined;
      if (!this.datasets.get(id)) {
        if (finished) await fs.rm(finished.file, { force: true });
        return this.fileStore.discardStage(scanId); // removed meanwhile
      }
      this.conn.transaction(() => {
        this.fileStore.replaceWithStage(id, scanId);
        if (finished) this.fileStore.putCache(id, storedCache(this.dataDir, finished));
        this.datasets.update(id, {
          status: built.usable > 0 ? 'ready' : 'empty',
          imageCount: built.usable,
          skippedCount: skippedTotal(built),
          duplicateCount: built.skipped.duplicate,
          report: built,
          error: built.usable > 0 ? null : emptyExplanation(built),
        });
      });
    } catch (err) {
      await cache?.abort();
      if (finished) await fs.rm(finished.file, { force: true }); // never recorded
      this.fileStore.discardStage(scanId);
      const current = this.datasets.get(id);
      if (!current) return; // removed meanwhile: nothing to record
      const end = this.endState(current, err);
      if (this.reserve) this.reserve.write(() => this.datasets.update(id, end));
      else this.datasets.update(id, end);
    }
    this.emit('dataset.status', { datasetId: id });
  }

  /**
   * Starts the training cache of a scan (add's cache option). A cache that cannot start (no space
   * for its file, say) is left for buildCache: the scan goes on without it.
   */
  private async startScanCache(id: string, settings: CacheSettings): Promise<ScanCache | undefined> {
    try {
      return await ScanCache.start(await loadSharp(), {
        datasetId: id,
        dir: this.datasetDir(id),
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
  private async finishScanCache(id: string, cache: ScanCache): Promise<FinishedScanCache | undefined> {
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
          error: this.closing
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

  /** Datasets left 'scanning' by a previous run of the app that closed or crashed mid-scan. */
  private recoverInterrupted(): void {
    // Temporary files first: on a full disk they give back the room the updates need.
    this.removeStaleTempFiles();
    try {
      for (const record of this.datasets.list()) {
        if (record.status !== 'scanning') continue;
        this.datasets.update(
          record.id,
          statusOfLastScan(record) ?? {
            status: 'cancelled',
            error: 'The scan was interrupted when GAN Studio closed. Rescan the folder to finish it.',
          },
        );
      }
    } catch (err) {
      // A full disk: the datasets stay listed as they were, and are recovered at a later start.
      console.warn('[datasets] could not recover interrupted scans:', firstLineOf(err));
    }
  }

  /** Temporary cache and thumbnail files of builds a crash interrupted. */
  private removeStaleTempFiles(): void {
    const root = path.join(this.dataDir, 'datasets');
    let dirs: string[];
    try {
      dirs = fsSync.readdirSync(root);
    } catch {
      return;
    }
    for (const dir of dirs) {
      for (const sub of ['', 'thumbs']) {
        const folder = path.join(root, dir, sub);
        let names: string[] = [];
        try {
          names = fsSync.readdirSync(folder);
        } catch {
          continue;
        }
        for (const name of names)
          if (name.includes('.tmp-')) fsSync.rmSync(path.join(folder, name), { force: true });
      }
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private async resolveFolder(input: string): Promise<string> {
    if (typeof input !== 'string' || input.trim() === '') {
      throw new ApiError(
        'invalid_input',
        'No folder was given. Choose the folder that holds your images.',
        'path',
      );
    }
    const folder = path.resolve(input);
    let stat: fsSync.Stats;
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
    try {
      const dir = await fs.opendir(folder);
      await dir.close();
      // The real path: the same folder reached through a link is the same dataset.
      return await fs.realpath(folder);
    } catch (err) {
      throw new ApiError(
        'invalid_input',
        `The folder ${folder} cannot be read (${firstLineOf(err)}). Allow GAN Studio to read it, or choose another folder.`,
        'path',
      );
    }
  }

  private require(id: string): DatasetRecord {
    const record = this.datasets.get(id);
    if (!record)
      throw new ApiError(
        'not_found',
        `No dataset with id ${id}. It may have been removed; reload the list of datasets.`,
      );
    return record;
  }

  private requireFile(record: DatasetRecord, fileId: number): StoredFile {
    const file = Number.isInteger(fileId) ? this.fileStore.get(record.id, fileId) : undefined;
    if (!file || file.relPath.endsWith('/')) {
      throw new ApiError(
        'not_found',
        `The dataset ${record.name} has no file with id ${fileId}. It may have changed in a rescan; reload the file list.`,
      );
    }
    return file;
  }

  private async realPathOf(record: DatasetRecord, file: StoredFile): Promise<string> {
    const real = await realFileIn(record.path, file.relPath);
    if (!real) {
      throw new ApiError(
        'not_found',
        `The file ${file.relPath} is missing or leads outside the dataset's folder (through a link), so it is not shown. ` +
          'Rescan the folder if it changed.',
      );
    }
    return real;
  }

  private assertTrainable(record: DatasetRecord): void {
    const why: Record<Exclude<DatasetStatus, 'ready'>, string> = {
      scanning: 'The dataset is still being scanned. Wait for the scan to finish, then try again.',
      empty: `The dataset has no usable images. ${record.error ?? 'Add images to the folder and rescan.'}`,
      failed: `The last scan of the dataset failed. ${record.error ?? 'Rescan the folder.'}`,
      cancelled: 'The scan of the dataset was cancelled before it finished. Rescan the folder first.',
    };
    if (this.scans.has(record.id)) throw new ApiError('conflict', why.scanning);
    if (record.status !== 'ready') throw new ApiError('conflict', why[record.status]);
  }

  private assertOpen(): void {
    if (this.closing)
      throw new ApiError('unavailable', 'GAN Studio is closing. Try again after it restarts.');
  }

  private datasetDir(id: string): string {
    // Ids come from the database, but a path is built from them: refuse anything that could
    // climb out of the datasets folder.
    if (!safeId.test(id)) throw new ApiError('invalid_input', `"${id}" is not a valid dataset id.`, 'id');
    return path.join(this.dataDir, 'datasets', id);
  }

  private async removeAppFiles(id: string): Promise<void> {
    const dir = this.datasetDir(id);
    if (!inside(path.join(this.dataDir, 'datasets'), dir)) return;
    await fs.rm(dir, { recursive: true, force: true });
  }

  private track(promise: Promise<void>): void {
    const guarded = promise.catch((err: unknown) => console.error('[datasets] clean-up failed:', err));
    this.cleanups.add(guarded);
    void guarded.finally(() => this.cleanups.delete(guarded));
  }
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return undefined;
  }
}

async function isFolder(folder: string): Promise<boolean> {
  try {
    return (await fs.stat(folder)).isDirectory();
  } catch {
    return false;
  }
}
