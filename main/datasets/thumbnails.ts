import fs from 'node:fs/promises';
import path from 'node:path';
import { tempFileFor } from '../common/temp-files.js';
import { Semaphore } from '../common/concurrency.js';
import { openImage } from './image-pipeline.js';
import { loadSharp } from '../common/sharp-loader.js';

/** Longest side of a grid thumbnail, in pixels (sharp on a 2× display at 80 px cells). */
export const thumbnailSize = 160;

export interface ThumbnailSource {
  absPath: string;
  format: string | null;
  width: number | null;
  height: number | null;
}

/**
 * Makes grid thumbnails on demand and keeps them on disk, each made once: concurrent requests
 * for the same file share one render, and at most two render at a time, so opening a grid of
 * 500 images does not start 500 decodes at once.
 */
export class Thumbnailer {
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly limit = new Semaphore(2);

  /** Returns `outFile`, rendering it first if it does not exist yet. */
  get(source: ThumbnailSource, outFile: string): Promise<string> {
    let pending = this.inFlight.get(outFile);
    if (!pending) {
      pending = this.limit
        .run(() => this.ensure(source, outFile))
        .finally(() => this.inFlight.delete(outFile));
      this.inFlight.set(outFile, pending);
    }
    return pending;
  }

  /** Resolves once every render started so far has ended. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async ensure(source: ThumbnailSource, outFile: string): Promise<string> {
    try {
      await fs.access(outFile);
      return outFile;
    } catch {
      /* not made yet */
    }
    const sharp = await loadSharp();
    const svg = source.format === 'svg' && source.width && source.height;
    const image = await openImage(
      sharp,
      { ...source, ...(svg ? { svg: { width: source.width!, height: source.height! } } : {}) },
      thumbnailSize,
    );
    const data = await image
      .resize(thumbnailSize, thumbnailSize, { fit: 'cover', position: 'centre' })
      .webp({ quality: 80 })
      .toBuffer();
    await fs.mkdir(path.dirname(outFile), { recursive: true });
    // Written aside and renamed, so a reader never gets half a thumbnail.
    const temp = tempFileFor(outFile);
    try {
      await fs.writeFile(temp, data);
      await fs.rename(temp, outFile);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    return outFile;
  }
}
