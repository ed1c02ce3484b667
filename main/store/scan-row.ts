import type { ColorMode, SkipReason } from '../../shared/types.js';

/** One file as the scan found it: what dataset_files stores. */
export interface ScanRow {
  /** Relative to the dataset folder, '/'-separated; a folder the scan could not open ends in '/'. */
  relPath: string;
  bytes: number;
  mtimeMs: number;
  width: number | null;
  height: number | null;
  /** sharp's format name (jpeg, png, webp, gif, tiff, heif, svg...) for decodable images. */
  format: string | null;
  mode: ColorMode | null;
  /** sha1 of the bytes; null when the file was not read in full (not an image, unreadable). */
  hash: string | null;
  status: 'used' | 'skipped';
  reason: SkipReason | null;
  /** Why it was skipped, in words for the user; null for used files. */
  detail: string | null;
}
