import type { ColorMode } from '../../shared/types.js';
import type { CacheMeta } from './cache-format.js';
import type { RenderOptions, RenderSource } from './image-pipeline.js';

/** Messages between DatasetService (main thread) and a cache-building worker thread. */

export interface CacheSource extends RenderSource {
  relPath: string;
  /** What the scan found: which files may be rendered in a mosaic (see cache-render.ts). */
  format?: string | null;
  mode?: ColorMode | null;
  width?: number | null;
  height?: number | null;
}

/** The worker's workerData: one build, from start to finish. */
export interface CacheJob {
  sources: CacheSource[];
  /** Final path of the cache; it appears there only when complete. */
  file: string;
  /** Path written meanwhile; the main thread deletes it if it has to stop the worker. */
  tempFile: string;
  render: RenderOptions;
  flip: boolean;
  meta: CacheMeta;
  /** Images rendered at once. */
  concurrency: number;
}

export type FromCacheWorker =
  | { type: 'progress'; done: number; total: number }
  | {
      type: 'done';
      count: number;
      bytes: number;
      /** Files that could not be rendered (changed or removed since the scan), left out. */
      skipped: { relPath: string; message: string }[];
    }
  | { type: 'error'; message: string };
