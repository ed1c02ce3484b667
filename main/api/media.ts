import path from 'node:path';
import { ApiError, firstLineOf } from '../../shared/errors.js';
import { parseMediaUrl } from '../../shared/media-urls.js';
import { openOwnFile } from '../common/folder-safety.js';
import { contentTypeOf } from '../common/media-types.js';
import { dataPaths, validId } from '../common/paths.js';
import type { ServedFile } from '../common/served-files.js';
import { exportName, modelFileName } from '../latent/files.js';

export { closeServed, servedStream, type ServedFile } from '../common/served-files.js';

/**
 * Headers of every `/media/…` answer, errors included, in both shells. A file opened as a page
 * (a dataset's drawing, an export) is a sandboxed document that runs no script and loads nothing,
 * and the browser never guesses a type other than the one sent: nothing a folder holds can act in
 * the studio's origin, where the API is.
 */
export const mediaHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': "sandbox; default-src 'none'",
  'x-content-type-options': 'nosniff',
};

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

/** What the resolver reads: the data folder, whether a run exists, and a dataset's images. */
export interface MediaSources {
  dataDir: string;
  runExists(runId: string): boolean;
  /** A dataset image's thumbnail, opened (made first if need be). */
  thumbnail(datasetId: string, fileId: number): Promise<ServedFile>;
  /** A dataset image as scanned, opened; refused once it changed on disk. */
  original(datasetId: string, fileId: number): Promise<ServedFile>;
}

const noSuchMedia = () => new ApiError('not_found', 'No such image or file. Reload the view.');

/** Errors that mean the file is not there (any more), not that it cannot be read. */
const missingCodes = new Set(['ENOENT', 'ENOTDIR', 'ELOOP']);

/**
 * What a failure to open a media file is told as: the API's errors as they are; a file gone as
 * not_found; anything else (permission denied, an I/O error) as a failure to read it, with the
 * reason, never as an exception that could end the process.
 */
function mediaError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (missingCodes.has((err as NodeJS.ErrnoException | null)?.code ?? '')) return noSuchMedia();
  return new ApiError(
    'internal',
    `The file could not be read (${firstLineOf(err)}). Check that GAN Studio may read it, then reload.`,
  );
}

/**
 * Maps the renderer's `/media/...` URLs (shared/media-urls.ts) to files, allowing only run
 * samples, the explorer's exports and the images of registered datasets: no URL can name an
 * arbitrary path on disk. Each is found at request time by real path inside its folder, must be a
 * regular file, and is opened here and sent from that handle, so a link or a folder put in its
 * place is never followed or read. Used by the Electron protocol handler and by `serve` alike.
 */
export class MediaResolver {
  constructor(private readonly sources: MediaSources) {}

  /**
   * The file a `/media/…` path names, open; throws an ApiError saying why not (not_found for all
   * that is not served). The caller sends it (servedStream) or lets it go (closeServed).
   */
  async open(urlPath: string): Promise<ServedFile> {
    const target = parseMediaUrl(urlPath);
    if (!target) throw noSuchMedia();
    try {
      switch (target.kind) {
        case 'sample': {
          if (!validId.test(target.runId) || !this.sources.runExists(target.runId)) throw noSuchMedia();
          const dir = dataPaths.run(this.sources.dataDir, target.runId);
          return await this.ownFile(path.join(dir, ...target.file.split('/')));
        }
        case 'thumbnail':
          return await this.sources.thumbnail(target.datasetId, target.fileId);
        case 'original':
          return await this.sources.original(target.datasetId, target.fileId);
        case 'export':
          return await this.openExport(target.runId, target.name, target.inner);
      }
    } catch (err) {
      throw mediaError(err);
    }
  }

  /** A file the studio wrote in its data folder. */
  private async ownFile(file: string): Promise<ServedFile> {
    const opened = await openOwnFile(this.sources.dataDir, file);
    if (!opened) throw noSuchMedia();
    return { contentType: contentTypeOf(opened.path), size: opened.stat.size, body: opened.handle };
  }

  /**
   * An exported file: only names the explorer gives its exports, and only by real path inside the
   * exports folder, so a link planted there leads nowhere.
   */
  private async openExport(runId: string, name: string, inner: string | undefined): Promise<ServedFile> {
    if (!exportName.test(name)) throw noSuchMedia();
    if (inner !== undefined && (!name.endsWith('-tfjs') || !modelFileName.test(inner))) throw noSuchMedia();
    if (inner === undefined && name.endsWith('-tfjs')) throw noSuchMedia();
    if (!validId.test(runId)) throw noSuchMedia();
    const names = inner === undefined ? [name] : [name, inner];
    return this.ownFile(path.join(dataPaths.exports(this.sources.dataDir, runId), ...names));
  }
}
