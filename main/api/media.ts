import fs from 'node:fs';
import path from 'node:path';
import { parseMediaUrl } from '../../shared/media-urls.js';
import { inside, realFileIn } from '../common/folder-safety.js';
import { contentTypeOf } from '../common/media-types.js';
import { dataPaths, validId } from '../common/paths.js';
import { exportName, modelFileName } from '../latent/files.js';

export interface MediaFile {
  file: string;
  contentType: string;
}

/**
 * A URL path (or part of one) decoded, or null when its percent-encoding is broken
 * (`/api/%E0%A4%A`): decodeURIComponent throws a URIError there, which would answer 500 for what
 * is a bad request.
 */
export function decodeUrlPath(encoded: string): string | null {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}

/** What the resolver reads: the data folder, whether a run exists, and a dataset's files. */
export interface MediaSources {
  dataDir: string;
  runExists(runId: string): boolean;
  thumbnail(datasetId: string, fileId: number): Promise<string>;
  originalPath(datasetId: string, fileId: number): Promise<string>;
}

/**
 * Maps the renderer's `/media/...` URLs (shared/media-urls.ts) to files, allowing only run
 * folders, the explorer's exports and the images of registered datasets (by real path, inside
 * their folder): no URL can name an arbitrary path on disk. Used by the Electron protocol handler
 * and by `serve` alike.
 */
export class MediaResolver {
  constructor(private readonly sources: MediaSources) {}

  async resolve(urlPath: string): Promise<MediaFile | null> {
    const target = parseMediaUrl(urlPath);
    if (!target) return null;
    try {
      switch (target.kind) {
        case 'sample': {
          if (!validId.test(target.runId) || !this.sources.runExists(target.runId)) return null;
          const dir = dataPaths.runSamples(this.sources.dataDir, target.runId);
          const file = path.join(dataPaths.run(this.sources.dataDir, target.runId), target.file);
          if (!inside(dir, file) || !fs.existsSync(file)) return null;
          return this.found(file);
        }
        case 'thumbnail':
          return this.found(await this.sources.thumbnail(target.datasetId, target.fileId));
        case 'original':
          return this.found(await this.sources.originalPath(target.datasetId, target.fileId));
        case 'export':
          return await this.resolveExport(target.runId, target.name, target.inner);
      }
    } catch {
      return null;
    }
  }

  private found(file: string): MediaFile {
    return { file, contentType: contentTypeOf(file) };
  }

  /**
   * An exported file: only names the explorer gives its exports, and only by real path inside the
   * exports folder, so a link planted there leads nowhere.
   */
  private async resolveExport(
    runId: string,
    name: string,
    inner: string | undefined,
  ): Promise<MediaFile | null> {
    if (!exportName.test(name)) return null;
    if (inner !== undefined && (!name.endsWith('-tfjs') || !modelFileName.test(inner))) return null;
    if (inner === undefined && name.endsWith('-tfjs')) return null;
    if (!validId.test(runId)) return null;
    const rel = inner === undefined ? name : `${name}/${inner}`;
    const file = await realFileIn(dataPaths.exportsRoot(this.sources.dataDir), `${runId}/${rel}`);
    return file ? this.found(file) : null;
  }
}
