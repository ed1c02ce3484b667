import {
  colorModes,
  skipReasons,
  type ColorMode,
  type DatasetReport,
  type SkipReason,
} from '../../shared/types.js';
import type { ScanRow } from '../store/scan-row.js';

/** The colour the cache composites transparent pixels on (and pads with in 'pad' crop). */
export const defaultBackground = { r: 255, g: 255, b: 255 } as const;

/** What the cache does with each colour mode, as the report tells the user. */
export const modeHandling: Record<ColorMode, string> = {
  rgb: 'Used as they are (8-bit sRGB).',
  rgba: 'Transparent areas are composited on a white background, then the alpha channel is dropped.',
  grey: 'Expanded to RGB: the grey value is copied into all three channels.',
  'grey-alpha': 'Composited on a white background, then expanded to RGB.',
  cmyk: 'Converted to 8-bit sRGB with the embedded colour profile, or a standard CMYK profile when there is none.',
  '16-bit': 'Reduced to 8 bits per channel and converted to sRGB (16-bit and floating-point images alike).',
};

/** Buckets of the longer side, upper bounds inclusive. */
const sizeBuckets: { label: string; max: number }[] = [
  { label: '≤64', max: 64 },
  { label: '65–128', max: 128 },
  { label: '129–256', max: 256 },
  { label: '257–512', max: 512 },
  { label: '513–1024', max: 1024 },
  { label: '1025–2048', max: 2048 },
  { label: '>2048', max: Infinity },
];

/** Buckets of width ÷ height: how much a square crop will cut away. */
const aspectBuckets: { label: string; max: number }[] = [
  { label: 'tall (< 1:2)', max: 0.5 },
  { label: 'portrait (1:2–4:5)', max: 0.8 },
  { label: 'near square (4:5–5:4)', max: 1.25 },
  { label: 'landscape (5:4–2:1)', max: 2 },
  { label: 'wide (> 2:1)', max: Infinity },
];

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function bucketIndex(buckets: { max: number }[], value: number): number {
  const i = buckets.findIndex((b) => value <= b.max);
  return i === -1 ? buckets.length - 1 : i;
}

/**
 * Builds a DatasetReport one row at a time, so a scan of 100,000 files never holds its rows.
 * Modes, formats, sizes and aspect ratios describe the images that will be trained on (used
 * rows); skip counts cover every file.
 */
export class ReportBuilder {
  private scanned = 0;
  private usable = 0;
  private readonly skipped = zeros(skipReasons);
  private readonly modes = zeros(colorModes);
  private readonly formats: Record<string, number> = {};
  private readonly sizes = sizeBuckets.map(() => 0);
  private readonly aspects = aspectBuckets.map(() => 0);
  /** Hashes of images with at least one dropped copy: one kept image each. */
  private readonly duplicatedHashes = new Set<string>();

  constructor(private readonly minSize: number) {}

  add(row: ScanRow): void {
    this.scanned++;
    if (row.status === 'skipped') {
      const reason: SkipReason = row.reason ?? 'unreadable';
      this.skipped[reason]++;
      if (reason === 'duplicate' && row.hash) this.duplicatedHashes.add(row.hash);
      return;
    }
    this.usable++;
    if (row.mode) this.modes[row.mode]++;
    if (row.format) this.formats[row.format] = (this.formats[row.format] ?? 0) + 1;
    if (row.width && row.height) {
      this.sizes[bucketIndex(sizeBuckets, Math.max(row.width, row.height))]!++;
      this.aspects[bucketIndex(aspectBuckets, row.width / row.height)]!++;
    }
  }

  /** The dataset's counts so far, for a scan's progress. */
  found(): { imageCount: number; skippedCount: number; duplicateCount: number } {
    return {
      imageCount: this.usable,
      skippedCount: this.scanned - this.usable,
      duplicateCount: this.skipped.duplicate,
    };
  }

  build(durationMs: number): DatasetReport {
    return {
      scannedFiles: this.scanned,
      usable: this.usable,
      skipped: { ...this.skipped },
      modes: { ...this.modes },
      modeHandling: { ...modeHandling },
      formats: { ...this.formats },
      sizes: sizeBuckets.map((b, i) => ({ label: b.label, count: this.sizes[i]! })),
      aspectRatios: aspectBuckets.map((b, i) => ({ label: b.label, count: this.aspects[i]! })),
      duplicates: { kept: this.duplicatedHashes.size, dropped: this.skipped.duplicate },
      minSize: this.minSize,
      durationMs: Math.round(durationMs),
    };
  }
}

export function buildReport(rows: Iterable<ScanRow>, minSize: number, durationMs: number): DatasetReport {
  const builder = new ReportBuilder(minSize);
  for (const row of rows) builder.add(row);
  return builder.build(durationMs);
}

/** Total skipped files of a report. */
export function skippedTotal(report: DatasetReport): number {
  return skipReasons.reduce((sum, r) => sum + report.skipped[r], 0);
}

const reasonWords: Record<SkipReason, (n: number, minSize: number) => string> = {
  'not-an-image': (n) => `${n} not ${n === 1 ? 'an image' : 'images'}`,
  'unsupported-format': (n) => `${n} in a format GAN Studio cannot read`,
  corrupt: (n) => `${n} damaged`,
  'too-small': (n, min) => `${n} smaller than ${min} px`,
  unreadable: (n) => `${n} unreadable`,
  duplicate: (n) => `${n} ${n === 1 ? 'duplicate' : 'duplicates'}`,
};

/** Why a scan found nothing to train on, and what to do: the error text of an 'empty' dataset. */
export function emptyExplanation(report: DatasetReport): string {
  if (report.scannedFiles === 0) {
    return (
      'The folder has no files to scan (hidden and system files are ignored). ' +
      'Put images in it (JPEG, PNG, WebP, GIF, TIFF, AVIF or SVG) and rescan.'
    );
  }
  const parts = skipReasons
    .filter((r) => report.skipped[r] > 0)
    .map((r) => reasonWords[r](report.skipped[r], report.minSize));
  const files = report.scannedFiles === 1 ? '1 file was' : `${report.scannedFiles} files were`;
  const advice =
    report.skipped['too-small'] > 0 && report.skipped['too-small'] === report.scannedFiles
      ? `Add it again with a smaller minimum size, or add larger images, and rescan.`
      : 'Add images (JPEG, PNG, WebP, GIF, TIFF, AVIF or SVG) to the folder and rescan; the file list says why each file was skipped.';
  return `No usable images: ${files} skipped (${parts.join(', ')}). ${advice}`;
}
