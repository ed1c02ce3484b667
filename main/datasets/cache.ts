import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../common/worker-start.js';
import type { CropMode } from '../../shared/config.js';
import { cacheFormatVersion } from './cache-format.js';
import type { CacheJob, FromCacheWorker } from './cache-protocol.js';
import { abortError } from '../common/concurrency.js';

export interface CacheKeyFile {
  relPath: string;
  bytes: number;
  mtimeMs: number;
  hash: string | null;
}

export interface CacheSettings {
  resolution: number;
  crop: CropMode;
  flip: boolean;
  background: { r: number; g: number; b: number };
}

/**
 * The identity of a cache: a hash of every used file (path, size, modification time, content
 * hash), the settings and the file format version. The same folder rescanned without changes
 * gives the same key, so the cache on disk is reused; any changed, added or removed file gives a
 * new one. Files are hashed in relPath order whatever order they are given in.
 */
export function cacheKey(files: Iterable<CacheKeyFile>, settings: CacheSettings): string {
  const sorted = [...files].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  const hash = createHash('sha256');
  const { r, g, b } = settings.background;
  hash.update(
    `gsdc v${cacheFormatVersion} ${settings.resolution} ${settings.crop} ${settings.flip ? 1 : 0} ${r},${g},${b}\n`,
  );
  for (const f of sorted) hash.update(`${f.relPath}\0${f.bytes}\0${f.mtimeMs}\0${f.hash ?? ''}\n`);
  return hash.digest('hex').slice(0, 24);
}

export function cacheFileName(key: string): string {
  return `cache-${key}.bin`;
}

function startCacheWorker(job: CacheJob): Worker {
  return startWorker(new URL('./worker/cache-worker', import.meta.url), {
    workerData: job,
    name: 'dataset-cache',
  });
}

export interface BuildResult {
  count: number;
  bytes: number;
  skipped: { relPath: string; message: string }[];
}

/**
 * Builds a cache file in a worker thread. On abort the worker is stopped and its temporary file
 * deleted; the final file only ever appears complete.
 */
export function buildCacheFile(
  job: CacheJob,
  options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<BuildResult> {
  const { onProgress, signal } = options;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  const worker = startCacheWorker(job);
  return new Promise<BuildResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const stop = async (err: Error) => {
      await worker.terminate().catch(() => undefined);
      await fs.rm(job.tempFile, { force: true }).catch(() => undefined);
      finish(() => reject(err));
    };
    const onAbort = () => void stop(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: FromCacheWorker) => {
      if (message.type === 'progress') onProgress?.(message.done, message.total);
      else if (message.type === 'done') {
        finish(() => resolve({ count: message.count, bytes: message.bytes, skipped: message.skipped }));
        void worker.terminate();
      } else void stop(new Error(message.message));
    });
    worker.on('error', (err) => void stop(err));
    worker.on('exit', (code) => {
      if (!settled) void stop(new Error(`The cache worker stopped unexpectedly (exit code ${code}).`));
    });
  });
}
