import path from 'node:path';
import { CacheWriter, type CacheMeta } from './cache-format.js';
import { cacheFileName, cacheKey, type CacheKeyFile, type CacheSettings } from './cache.js';
import { fillCache, renderSources, type FilledCache, type PendingSource } from './cache-render.js';
import { Channel } from '../common/concurrency.js';
import type { SharpFactory } from '../common/sharp-loader.js';

/** Used rows waiting for the renderer: enough to keep two mosaic batches fed, at 64 KB each. */
const queueCapacity = 96;

/** The key written into the header until the real one is known: the same length (24 hex digits). */
const placeholderKey = '0'.repeat(24);

export interface ScanCacheOptions {
  datasetId: string;
  /** Where the dataset's caches live. */
  dir: string;
  settings: CacheSettings;
  /** sharp calls at once. */
  concurrency: number;
  /** Past this many bytes of pixels the cache could never be loaded for training: it is dropped. */
  maxPixelBytes: number;
}

export interface FinishedScanCache {
  key: string;
  file: string;
  count: number;
  bytes: number;
  skipped: FilledCache['skipped'];
  meta: CacheMeta;
}

/**
 * A training cache built while its dataset is scanned, from the used rows as the scan yields
 * them. The scan has just decoded each small plain PNG to check it (see inspect.ts), so those
 * pixels go straight into mosaics instead of being decoded again by a later build: for a folder
 * of small PNGs this halves the sharp work of "scan, then cache".
 *
 * The images are in scan order, the order DatasetFileStore.usedFiles gives a later build, and the
 * key is computed from the same rows, so this file is exactly the one buildCache would make. A
 * failure here never fails the scan: the cache is dropped and buildCache makes it when asked.
 */
export class ScanCache {
  private readonly queue = new Channel<PendingSource>(queueCapacity);
  private readonly files: CacheKeyFile[] = [];
  private readonly filled: Promise<FilledCache>;
  private failure: unknown;

  private constructor(
    private readonly writer: CacheWriter,
    private readonly options: ScanCacheOptions,
    private readonly meta: CacheMeta,
    sharp: SharpFactory,
  ) {
    const { settings } = options;
    const render = { resolution: settings.resolution, crop: settings.crop, background: settings.background };
    this.filled = fillCache(writer, renderSources(sharp, this.queue, render, options.concurrency));
    this.filled.catch((err: unknown) => {
      this.failure = err;
      this.queue.close(); // wakes a scan waiting to add
    });
  }

  static async start(sharp: SharpFactory, options: ScanCacheOptions): Promise<ScanCache> {
    const { settings } = options;
    const meta: CacheMeta = {
      key: placeholderKey,
      datasetId: options.datasetId,
      resolution: settings.resolution,
      crop: settings.crop,
      flip: settings.flip,
      background: settings.background,
      createdAt: Date.now(),
    };
    const file = path.join(options.dir, cacheFileName(placeholderKey));
    const writer = await CacheWriter.create({
      file,
      height: settings.resolution,
      width: settings.resolution,
      flip: settings.flip,
      meta,
    });
    return new ScanCache(writer, options, meta, sharp);
  }

  /** Adds the next used file, in scan order; waits while the renderer is behind. */
  async add(file: CacheKeyFile, source: PendingSource): Promise<void> {
    this.files.push({ relPath: file.relPath, bytes: file.bytes, mtimeMs: file.mtimeMs, hash: file.hash });
    if (this.failure !== undefined) return;
    const { resolution } = this.options.settings;
    if (this.files.length * resolution * resolution * 3 > this.options.maxPixelBytes) {
      // buildCache refuses such a cache with a message; writing gigabytes first would only waste them.
      this.failure = new Error(`more images than a ${resolution} px cache can hold`);
      this.queue.close();
      return;
    }
    try {
      await this.queue.push(source);
    } catch {
      // The renderer failed meanwhile; finish() reports it.
    }
  }

  /**
   * Renders what is left and moves the file into place under its key. Throws when the cache could
   * not be made (the scan then goes on without it); undefined when no image could be rendered.
   */
  async finish(): Promise<FinishedScanCache | undefined> {
    this.queue.close();
    const { written, skipped } = await this.filled;
    if (this.failure !== undefined) throw this.failure;
    if (written.length === 0) {
      await this.writer.abort();
      return undefined;
    }
    const key = cacheKey(this.files, this.options.settings);
    const meta = { ...this.meta, key };
    const file = path.join(this.options.dir, cacheFileName(key));
    const { count, bytes } = await this.writer.finish({ file, meta });
    return { key, file, count, bytes, skipped, meta };
  }

  /** Stops and deletes the temporary file. */
  async abort(): Promise<void> {
    this.queue.close();
    await this.filled.catch(() => undefined);
    await this.writer.abort();
  }
}
