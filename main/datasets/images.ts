import path from 'node:path';
import { ApiError, firstLineOf } from '../../shared/errors.js';
import type { DatasetRecord } from '../store/datasets.js';
import type { DatasetContext } from './context.js';
import type { StoredFile } from '../store/dataset-files.js';
import { realFileIn } from '../common/folder-safety.js';
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

  /**
   * The real path of an image of the dataset, for showing it: only files shown as images, and only
   * when the real path (links resolved) lies inside the dataset's real folder.
   */
  async originalPath(id: string, fileId: number): Promise<string> {
    const record = this.ctx.require(id);
    const file = this.requireFile(record, fileId);
    if (!shownAsImage(file)) {
      throw new ApiError(
        'not_found',
        `${file.relPath} is not shown: it was skipped (${file.reason}), and only images of a dataset are served.`,
        'fileId',
      );
    }
    return this.realPathOf(record, file);
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

  private async realPathOf(record: DatasetRecord, file: StoredFile): Promise<string> {
    const real = await realFileIn(record.path, file.relPath);
    if (!real) {
      throw new ApiError(
        'not_found',
        `The file ${file.relPath} is missing or leads outside the dataset's folder (through a link), so it is not shown. ` +
          'Rescan the folder if it changed.',
      );
    }
    return real;
  }
}
