import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApiError, firstLineOf } from '../../shared/errors.js';
import type { DatasetRecord } from '../store/datasets.js';
import type { DatasetContext } from './context.js';
import type { StoredFile } from '../store/dataset-files.js';
import { openFileIn, openOwnFile, realFileIn, type OpenedFile } from '../common/folder-safety.js';
import { contentTypeOf } from '../common/media-types.js';
import type { ServedFile } from '../common/served-files.js';
import { loadSharp } from '../common/sharp-loader.js';
import { Thumbnailer } from './thumbnails.js';

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

/**
 * What an original is served as, by the format the scan found in it, never by its name: a file
 * named .svg that held a PNG when scanned is not to be sent as image/svg+xml. (SVGs themselves are
 * rasterised, see svgAsPng.) HEIF covers AVIF and HEIC, which only the name tells apart.
 */
function originalType(file: StoredFile): string {
  const types: Record<string, string> = {
    jpeg: 'image/jpeg',
    png: 'image/png',
    webp: 'image/webp',
    gif: 'image/gif',
    tiff: 'image/tiff',
    bmp: 'image/bmp',
  };
  if (file.format === 'heif' && contentTypeOf(file.relPath) === 'image/avif') return 'image/avif';
  return types[file.format ?? ''] ?? 'application/octet-stream';
}

/** The longer side of an SVG original as served: small icons sharp, huge drawings bounded. */
const svgSide = { min: 512, max: 2048 };

/**
 * An SVG rendered to PNG (librsvg runs no script and loads nothing from outside): an SVG served
 * as itself is a document that runs its scripts in the studio's origin when opened.
 */
async function svgAsPng(svg: Buffer, file: StoredFile): Promise<Buffer> {
  const sharp = await loadSharp();
  const longer = Math.max(file.width ?? 0, file.height ?? 0);
  const side = Math.min(svgSide.max, Math.max(svgSide.min, longer));
  // librsvg renders at 72 dpi; sharp takes densities from 1 to 100,000.
  const density = longer > 0 ? Math.min(100_000, Math.max(1, (72 * side) / longer)) : 72;
  return sharp(svg, { density }).png().toBuffer();
}

/** Whether a file on disk is no longer the one the scan read (size and mtime as walk.ts records them). */
function changedSinceScan(file: StoredFile, stat: Stats): boolean {
  return stat.size !== file.bytes || Math.trunc(stat.mtimeMs) !== file.mtimeMs;
}

function changedError(file: StoredFile): ApiError {
  return new ApiError(
    'not_found',
    `The file ${file.relPath} changed since the folder was scanned (its size or modification time differ), ` +
      'so it is not shown. Rescan the folder to see it as it is now.',
  );
}

/**
 * The images of a dataset as the UI shows them: thumbnails made on demand into the dataset's app
 * folder, and originals, both only by real path inside the dataset's folder.
 */
export class DatasetImages {
  private readonly thumbnails = new Thumbnailer();

  /** `removed` is called when a dataset was removed while one of its thumbnails was made. */
  constructor(
    private readonly ctx: DatasetContext,
    private readonly removed: (id: string) => void,
  ) {}

  /** Path of a 160 px WebP thumbnail of a file, made on first request and kept on disk. */
  async thumbnail(id: string, fileId: number): Promise<string> {
    const record = this.ctx.require(id);
    const file = this.requireFile(record, fileId);
    if (!shownAsImage(file)) {
      throw new ApiError(
        'invalid_input',
        `${file.relPath} has no thumbnail: it was skipped (${file.reason}). ${file.detail ?? ''}`.trim(),
        'fileId',
      );
    }
    // Named by content too: a file replaced in place keeps its id but gets a new thumbnail.
    const out = path.join(this.ctx.datasetDir(id), 'thumbs', `${file.id}-${file.hash!.slice(0, 12)}.webp`);
    const absPath = await this.realPathOf(record, file);
    // Removed while the path was resolved: make nothing in a folder that is being deleted.
    if (!this.ctx.datasets.get(id))
      throw new ApiError('not_found', `No dataset with id ${id}. It was removed.`);
    try {
      const made = await this.thumbnails.get(
        { absPath, format: file.format, width: file.width, height: file.height },
        out,
      );
      if (!this.ctx.datasets.get(id)) {
        // Removed while rendering: do not leave the thumbnail behind in a deleted dataset's folder.
        this.removed(id);
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

  /** A thumbnail opened for serving, by real path inside the dataset's app folder. */
  async openThumbnail(id: string, fileId: number): Promise<ServedFile> {
    const made = await this.thumbnail(id, fileId);
    const opened = await openOwnFile(this.ctx.dataDir, made);
    if (!opened) {
      throw new ApiError('not_found', 'The thumbnail was removed while it was asked for. Reload the view.');
    }
    return { contentType: 'image/webp', size: opened.stat.size, body: opened.handle };
  }

  /**
   * The real path of an image of the dataset, for showing it: only files shown as images, only
   * when the real path (links resolved) lies inside the dataset's real folder, and only while it
   * is the file that was scanned.
   */
  async originalPath(id: string, fileId: number): Promise<string> {
    const record = this.ctx.require(id);
    return this.realPathOf(record, this.requireShown(record, fileId));
  }

  /**
   * An image of the dataset opened for serving, with originalPath's checks made on the open file.
   * An SVG comes rasterised to PNG.
   */
  async openOriginal(id: string, fileId: number): Promise<ServedFile> {
    const record = this.ctx.require(id);
    const file = this.requireShown(record, fileId);
    const opened = await openFileIn(record.path, file.relPath);
    if (!opened) throw this.missingError(file);
    if (changedSinceScan(file, opened.stat)) {
      await opened.handle.close();
      throw changedError(file);
    }
    if (file.format !== 'svg') {
      return { contentType: originalType(file), size: opened.stat.size, body: opened.handle };
    }
    const png = await this.rasterise(opened, file);
    return { contentType: 'image/png', size: png.length, body: png };
  }

  private async rasterise(opened: OpenedFile, file: StoredFile): Promise<Buffer> {
    let svg: Buffer;
    try {
      svg = await opened.handle.readFile();
    } finally {
      await opened.handle.close();
    }
    try {
      return await svgAsPng(svg, file);
    } catch (err) {
      throw new ApiError(
        'unavailable',
        `The drawing ${file.relPath} could not be rendered (${firstLineOf(err)}). It may have changed: rescan the folder.`,
      );
    }
  }

  /** Resolves once every thumbnail being made has been written. */
  idle(): Promise<void> {
    return this.thumbnails.idle();
  }

  private requireFile(record: DatasetRecord, fileId: number): StoredFile {
    const file = Number.isInteger(fileId) ? this.ctx.files.get(record.id, fileId) : undefined;
    if (!file || file.relPath.endsWith('/')) {
      throw new ApiError(
        'not_found',
        `The dataset ${record.name} has no file with id ${fileId}. It may have changed in a rescan; reload the file list.`,
      );
    }
    return file;
  }

  /** A file the grid shows as an image; anything else of the folder is never served. */
  private requireShown(record: DatasetRecord, fileId: number): StoredFile {
    const file = this.requireFile(record, fileId);
    if (!shownAsImage(file)) {
      throw new ApiError(
        'not_found',
        `${file.relPath} is not shown: it was skipped (${file.reason}), and only images of a dataset are served.`,
        'fileId',
      );
    }
    return file;
  }

  private missingError(file: StoredFile): ApiError {
    return new ApiError(
      'not_found',
      `The file ${file.relPath} is missing or leads outside the dataset's folder (through a link), so it is not shown. ` +
        'Rescan the folder if it changed.',
    );
  }

  /** Its real path inside the dataset's folder, while it is the file that was scanned. */
  private async realPathOf(record: DatasetRecord, file: StoredFile): Promise<string> {
    const real = await realFileIn(record.path, file.relPath);
    const stat = real ? await fs.stat(real).catch(() => undefined) : undefined;
    if (!real || !stat) throw this.missingError(file);
    if (changedSinceScan(file, stat)) throw changedError(file);
    return real;
  }
}
