import fs from 'node:fs';
import path from 'node:path';
import { inside, realFileIn } from '../datasets/folder-safety.js';
import { exportName, exportsDirName, modelFileName, validRunId } from '../latent/files.js';
import { runFolder } from '../training/host/manager.js';
import type { Studio } from './studio.js';

export interface MediaFile {
  file: string;
  contentType: string;
}

const contentTypes: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.svg': 'image/svg+xml',
  '.bmp': 'image/bmp',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
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

export function contentTypeOf(file: string): string {
  return contentTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Maps the renderer's `/media/...` URLs to files, allowing only run folders and the images of
 * registered datasets (by real path, inside their folder): no URL can name an arbitrary path on
 * disk. Used by the Electron protocol handler and
 * by `serve` alike.
 *   /media/runs/<runId>/samples/<file>.png
 *   /media/datasets/<id>/thumbs/<fileId>
 *   /media/datasets/<id>/files/<fileId>
 *   /media/exports/<runId>/<file> and /media/exports/<runId>/<model folder>/<file>: what the
 *     latent explorer exported, by the names it gives (main/latent/files.ts)
 */
export class MediaResolver {
  constructor(private readonly studio: Studio) {}

  async resolve(urlPath: string): Promise<MediaFile | null> {
    let parts: string[];
    try {
      parts = urlPath.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return null;
    }
    if (parts[0] !== 'media' || parts.some((p) => p === '..' || p.includes('/') || p.includes('\\')))
      return null;
    if (parts[1] === 'exports') return this.resolveExport(parts.slice(2));
    const [, kind, id, sub, name] = parts;
    if (!kind || !id || !sub || !name || parts.length !== 5) return null;
    try {
      if (kind === 'runs' && sub === 'samples') {
        if (!this.studio.runs.get(id)) return null;
        const dir = path.join(runFolder(this.studio.options.dataDir, id), 'samples');
        const file = path.join(dir, name);
        if (!inside(dir, file) || !fs.existsSync(file)) return null;
        return { file, contentType: contentTypeOf(file) };
      }
      if (kind === 'datasets') {
        const fileId = Number(name);
        if (!Number.isInteger(fileId)) return null;
        if (sub === 'thumbs') {
          const file = await this.studio.datasets.thumbnail(id, fileId);
          return { file, contentType: contentTypeOf(file) };
        }
        if (sub === 'files') {
          const file = await this.studio.datasets.originalPath(id, fileId);
          return { file, contentType: contentTypeOf(file) };
        }
      }
    } catch {
      return null;
    }
    return null;
  }

  /**
   * An exported file: only names the explorer gives its exports, and only by real path inside the
   * exports folder, so a link planted there leads nowhere.
   */
  private async resolveExport(parts: string[]): Promise<MediaFile | null> {
    const [runId, name, inner] = parts;
    if (!runId || !name || parts.length > 3 || !exportName.test(name)) return null;
    if (inner !== undefined && (!name.endsWith('-tfjs') || !modelFileName.test(inner))) return null;
    if (inner === undefined && name.endsWith('-tfjs')) return null;
    if (!validRunId.test(runId)) return null;
    const rel = inner === undefined ? name : `${name}/${inner}`;
    const file = await realFileIn(path.join(this.studio.options.dataDir, exportsDirName), `${runId}/${rel}`);
    return file ? { file, contentType: contentTypeOf(file) } : null;
  }
}
