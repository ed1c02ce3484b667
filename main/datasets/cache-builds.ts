import { constants as bufferConstants } from 'node:buffer';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cacheResolutions, cropModes, type CropMode } from '../../shared/config.js';
import { ApiError, firstLineOf } from '../../shared/errors.js';
import { diskFullMessage, isDiskFull } from '../common/disk-space.js';
import type { DatasetRecord } from '../store/datasets.js';
import { tempFileFor } from '../common/temp-files.js';
import type { CacheMeta } from './cache-format.js';
import { buildCacheFile, cacheFileName, cacheKey, type CacheSettings } from './cache.js';
import type { CacheJob, CacheSource } from './cache-protocol.js';
import { isAbortError, Throttle } from '../common/concurrency.js';
import type { DatasetContext } from './context.js';
import type { StoredCache } from '../store/dataset-files.js';
import { fileIn } from '../common/folder-safety.js';
import { defaultBackground } from './report.js';
import type { ScanRow } from '../store/scan-row.js';

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

interface BuildTask {
  datasetId: string;
  controller: AbortController;
  promise: Promise<BuiltCache>;
}

/** The trainer loads a cache whole into one Buffer; a little is left for the header. */
export const maxCachePixelBytes = bufferConstants.MAX_LENGTH - 1024 * 1024;
/** Images rendered at once: the libuv pool's default four threads. */
export const workConcurrency = 4;
/** The UI needs about ten progress updates a second. */
export const progressIntervalMs = 100;

/**
 * What a cache build needs of a used file. Only paths inside the dataset's folder: the database
 * is trusted no further than the API input.
 */
export function cacheSource(record: DatasetRecord, file: ScanRow): CacheSource | undefined {
  const absPath = fileIn(record.path, file.relPath);
  if (!absPath) return undefined;
  const { relPath, format, mode, width, height } = file;
  const svg = format === 'svg' && width && height ? { svg: { width, height } } : {};
  return { relPath, absPath, format, mode, width, height, ...svg };
}

/** Checked cache settings, with the defaults filled in. */
export function cacheSettings(input: { resolution: number; crop?: CropMode; flip?: boolean }): CacheSettings {
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
export function storedCache(
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
 * Training caches: one file of a dataset's used images at given settings, built in a worker
 * thread (worker/cache-worker.ts) under a temporary name that says which process writes it, and moved
 * into place complete. Two processes asking for the same cache each build it; the second rename
 * replaces an identical file.
 */
export class CacheBuilds {
  private readonly builds = new Map<string, BuildTask>();

  constructor(private readonly ctx: DatasetContext) {}

  /**
   * Returns the training cache of the dataset's used images at these settings, building it if it
   * does not exist yet. Unchanged files and settings reuse the file on disk; a cache for the same
   * settings made from an older file list is deleted once the new one exists.
   */
  async build(input: BuildCacheInput, assertTrainable: (record: DatasetRecord) => void): Promise<BuiltCache> {
    const { ctx } = this;
    ctx.assertOpen();
    const record = ctx.require(input.id);
    const settings = cacheSettings(input);
    const { resolution, crop, flip } = settings;
    assertTrainable(record);
    const used = ctx.files.usedFiles(record.id);
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
    const file = path.join(ctx.datasetDir(record.id), cacheFileName(key));
    const stored = ctx.files.cache(record.id, key);
    if (stored && (await sizeOf(file)) === stored.bytes) return { key, count: stored.count, file };

    const buildId = `${record.id}/${key}`;
    const running = this.builds.get(buildId);
    if (running) return running.promise;
    const controller = new AbortController();
    const job: CacheJob = {
      sources: used.flatMap((f) => cacheSource(record, f) ?? []),
      file,
      tempFile: tempFileFor(file),
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
    const promise = this.run(record, job, controller.signal).finally(() => this.builds.delete(buildId));
    this.builds.set(buildId, { datasetId: record.id, controller, promise });
    return promise;
  }

  /** Stops the dataset's builds; resolves when they have ended. */
  async stopFor(datasetId: string): Promise<void> {
    const builds = [...this.builds.values()].filter((b) => b.datasetId === datasetId);
    for (const build of builds) build.controller.abort();
    await Promise.allSettled(builds.map((b) => b.promise));
  }

  /** Stops every build; resolves when they have ended. */
  async stopAll(): Promise<void> {
    const builds = [...this.builds.values()];
    for (const build of builds) build.controller.abort();
    await Promise.allSettled(builds.map((b) => b.promise));
  }

  private async run(record: DatasetRecord, job: CacheJob, signal: AbortSignal): Promise<BuiltCache> {
    const { ctx } = this;
    const id = record.id;
    const { key } = job.meta;
    const progress = new Throttle<{ done: number; total: number }>(progressIntervalMs, ({ done, total }) =>
      ctx.emit('dataset.progress', { datasetId: id, phase: 'caching', done, total }),
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
        throw ctx.closing
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
    if (!ctx.datasets.get(id)) {
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
    ctx.files.putCache(id, storedCache(ctx.dataDir, { file: job.file, meta: job.meta, ...result }));
    // Older caches for the same settings describe a file list that no longer exists.
    for (const old of ctx.files.caches(id)) {
      if (old.key === key || old.resolution !== resolution || old.crop !== crop || old.flip !== flip)
        continue;
      ctx.files.deleteCache(id, old.key);
      await fs.rm(path.join(ctx.dataDir, old.file), { force: true });
    }
    ctx.emit('dataset.status', { datasetId: id });
    return { key, count: result.count, file: job.file };
  }
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return undefined;
  }
}
