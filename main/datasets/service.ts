import fs from 'node:fs/promises';
import path from 'node:path';
import { ApiError, firstLineOf } from '../../shared/errors.js';
import type { CropMode } from '../../shared/config.js';
import type { Emit } from '../../shared/events.js';
import type { DatasetDetail, DatasetFile, DatasetStatus, DatasetSummary } from '../../shared/types.js';
import type { DiskReserve } from '../common/disk-space.js';
import type { ServedFile } from '../common/served-files.js';
import { thisProcess } from '../common/owner.js';
import type { Connection } from '../store/database.js';
import { toDatasetSummary, type DatasetRecord, type DatasetStore } from '../store/datasets.js';
import { removeStaleTempFiles } from '../common/temp-files.js';
import { CacheBuilds, cacheSettings, type BuildCacheInput, type BuiltCache } from './cache-builds.js';
import { DatasetContext } from './context.js';
import { inside, resolveUserFolder } from '../common/folder-safety.js';
import { DatasetImages } from './images.js';
import { importFile, isImportedCopy, type ImportFileInput } from './imports.js';
import { dataPaths } from '../common/paths.js';
import { refuseIfScannedElsewhere, ScanJobs, scannedElsewhere } from './scan-job.js';

export type { BuildCacheInput, BuiltCache } from './cache-builds.js';

export interface DatasetServiceOptions {
  conn: Connection;
  datasets: DatasetStore;
  /** The app data folder; this module owns `<dataDir>/datasets/` and `<dataDir>/imports/`. */
  dataDir: string;
  emit: Emit;
  /** Room kept for recording a scan's end when the disk fills up (see common/disk-space.ts). */
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

/** Statuses a folder added again is rescanned from: its last scan did not complete. */
const incomplete: readonly DatasetStatus[] = ['cancelled', 'failed'];

/**
 * Datasets, as the API sees them: adding a folder, its scan, report and file list, training
 * caches, thumbnails and originals, and the copies of folders a browser uploaded. The work is
 * done by scan-job.ts, cache-builds.ts, images.ts and imports.ts, with every path check in
 * common/folder-safety.ts. Owns `<dataDir>/datasets/<id>/` (caches and thumbnails) and
 * `<dataDir>/imports/`, and never writes to or deletes anything in the user's folders.
 */
export class DatasetService {
  private readonly ctx: DatasetContext;
  private readonly scans: ScanJobs;
  private readonly caches: CacheBuilds;
  private readonly images: DatasetImages;
  private readonly cleanups = new Set<Promise<void>>();

  constructor(options: DatasetServiceOptions) {
    this.ctx = new DatasetContext(
      options.conn,
      options.datasets,
      options.dataDir,
      options.emit,
      options.reserve,
    );
    this.scans = new ScanJobs(this.ctx);
    this.caches = new CacheBuilds(this.ctx);
    this.images = new DatasetImages(this.ctx, (id) => this.track(this.removeAppFiles(id)));
    this.recover();
  }

  // ---- datasets -------------------------------------------------------------------------------

  /**
   * Registers a folder and starts scanning it in the background; returns at once with status
   * 'scanning'. A folder added before (by any path that leads to it) returns its dataset, rescanned
   * first if its last scan did not complete (cancelled, failed).
   */
  async add(input: AddDatasetInput): Promise<DatasetSummary> {
    this.ctx.assertOpen();
    const minSize = input.minSize ?? 16;
    if (!Number.isInteger(minSize) || minSize < 1 || minSize > 4096) {
      throw new ApiError(
        'invalid_input',
        'The minimum image size must be a whole number of pixels from 1 to 4096.',
        'minSize',
      );
    }
    const cache = input.cache ? cacheSettings(input.cache) : undefined;
    const folder = await resolveUserFolder(input.path);
    const existing = this.ctx.datasets.findByPath(folder);
    if (existing) {
      if (!incomplete.includes(existing.status)) return toDatasetSummary(existing);
      return this.startRescan(existing, cache);
    }
    const name = input.name?.trim() || path.basename(folder) || folder;
    const { record, created } = this.ctx.datasets.create({
      name,
      path: folder,
      minSize,
      scanOwner: thisProcess,
    });
    // Another process registered the same folder at the same moment: its scan is the one.
    if (!created) return toDatasetSummary(record);
    this.scans.start(record, false, cache);
    this.ctx.emit('dataset.status', { datasetId: record.id });
    return toDatasetSummary(record);
  }

  /** Scans the folder again; the current file list stays until the new one is complete. */
  async rescan(id: string): Promise<DatasetSummary> {
    this.ctx.assertOpen();
    return this.startRescan(this.ctx.require(id));
  }

  private startRescan(record: DatasetRecord, cache?: ReturnType<typeof cacheSettings>): DatasetSummary {
    // Already being scanned, here or by another live process: that scan is the rescan.
    if (this.scans.has(record.id) || scannedElsewhere(record) !== undefined) return toDatasetSummary(record);
    const updated = this.scans.markScanning(record.id) ?? record;
    this.scans.start(updated, true, cache);
    this.ctx.emit('dataset.status', { datasetId: record.id });
    return toDatasetSummary(updated);
  }

  /** Stops a running scan; false when none was running. */
  cancelScan(id: string): boolean {
    const record = this.ctx.require(id);
    if (this.scans.cancel(id)) return true;
    refuseIfScannedElsewhere(record, 'cancelled');
    return false;
  }

  /** Resolves when the dataset's current scan (if any, in this process or another) has ended. */
  async waitForScan(id: string): Promise<void> {
    if (!this.scans.has(id)) this.ctx.require(id);
    await this.scans.wait(id);
  }

  /**
   * Forgets a dataset: stops its scan and cache builds, deletes its record, file list and caches,
   * and the app's own files for it (caches, thumbnails, and the folder itself when it is a copy a
   * browser uploaded). A user's folder is never touched.
   */
  remove(id: string): boolean {
    const record = this.ctx.datasets.get(id);
    if (!record) return false;
    const stopped = Promise.allSettled([this.scans.stop(id), this.caches.stopFor(id)]);
    this.ctx.datasets.delete(id); // dataset_files and dataset_caches go with it (ON DELETE CASCADE)
    this.track(
      (async () => {
        await stopped;
        await this.images.idle();
        // Each on its own: a thumbnail still being written into the app folder must not keep
        // the uploaded copy on disk.
        const removals = [this.removeAppFiles(id)];
        if (isImportedCopy(this.ctx.dataDir, record.path)) removals.push(removeFolder(record.path));
        const failed = (await Promise.allSettled(removals)).find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
      })(),
    );
    this.ctx.emit('dataset.status', { datasetId: id });
    return true;
  }

  list(): DatasetSummary[] {
    return this.ctx.datasets.list().map(toDatasetSummary);
  }

  get(id: string): DatasetDetail {
    const record = this.ctx.require(id);
    const caches = this.ctx.files.caches(id).map(({ file: _file, ...cache }) => cache);
    return { ...toDatasetSummary(record), report: record.report, caches };
  }

  files(query: FilesQuery): { total: number; files: DatasetFile[] } {
    this.ctx.require(query.id);
    const offset = Math.max(0, Math.trunc(query.offset ?? 0));
    const limit = Math.min(5000, Math.max(1, Math.trunc(query.limit ?? 500)));
    return this.ctx.files.list(query.id, query.status ?? 'all', offset, limit);
  }

  // ---- training caches, images, uploads -------------------------------------------------------

  /** The dataset's training cache at these settings, built first if needed (cache-builds.ts). */
  buildCache(input: BuildCacheInput): Promise<BuiltCache> {
    return this.caches.build(input, (record) => this.assertTrainable(record));
  }

  /** Path of a 160 px WebP thumbnail of an image of the dataset. */
  thumbnail(id: string, fileId: number): Promise<string> {
    return this.images.thumbnail(id, fileId);
  }

  /** The real path of an image of the dataset, checked to lie inside its folder and unchanged. */
  originalPath(id: string, fileId: number): Promise<string> {
    return this.images.originalPath(id, fileId);
  }

  /** A thumbnail, opened for serving (images.ts). */
  openThumbnail(id: string, fileId: number): Promise<ServedFile> {
    return this.images.openThumbnail(id, fileId);
  }

  /** An image of the dataset as scanned, opened for serving; an SVG rasterised (images.ts). */
  openOriginal(id: string, fileId: number): Promise<ServedFile> {
    return this.images.openOriginal(id, fileId);
  }

  /** Stores one file of a folder a browser uploads; returns the copy's folder, to add next. */
  importFile(input: ImportFileInput): Promise<string> {
    this.ctx.assertOpen();
    return importFile(this.ctx.dataDir, input);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Stops scans and cache builds and waits for them (and pending clean-ups) to end. */
  async close(): Promise<void> {
    this.ctx.closing = true;
    await Promise.allSettled([this.scans.stopAll(), this.caches.stopAll()]);
    await this.images.idle();
    await Promise.allSettled([...this.cleanups]);
  }

  /**
   * What a process that closed or crashed left behind: its temporary files (first: on a full disk
   * they give back the room the updates need) and its datasets left 'scanning'. Another live
   * process's work is left alone.
   */
  private recover(): void {
    removeStaleTempFiles(this.ctx.datasetsRoot(), 2, { legacy: true });
    removeStaleTempFiles(dataPaths.imports(this.ctx.dataDir), 64);
    try {
      this.scans.recoverInterrupted();
    } catch (err) {
      // A full disk: the datasets stay listed as they were, and are recovered at a later start.
      console.warn('[datasets] could not recover interrupted scans:', firstLineOf(err));
    }
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

  private async removeAppFiles(id: string): Promise<void> {
    const dir = this.ctx.datasetDir(id);
    if (!inside(this.ctx.datasetsRoot(), dir)) return;
    await removeFolder(dir);
  }

  private track(promise: Promise<void>): void {
    const guarded = promise.catch((err: unknown) => console.error('[datasets] clean-up failed:', err));
    this.cleanups.add(guarded);
    void guarded.finally(() => this.cleanups.delete(guarded));
  }
}

/**
 * Removes a folder and all in it, retrying while something still writes there (a thumbnail that
 * was being made when its dataset was removed): rm fails with ENOTEMPTY when a file appears
 * between its listing and its rmdir.
 */
function removeFolder(dir: string): Promise<void> {
  return fs.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}
