import type { BackendName, CropMode, TrainConfig } from './config.js';

export interface BackendStatus {
  name: BackendName;
  available: boolean;
  /**
   * Why it cannot be used here, in words for the user. On an available backend, where present,
   * how it runs short of what was asked (e.g. wasm threads that could not start).
   */
  reason?: string;
  /** Set when the backend started but failed in a run's first steps, and the run moved on. */
  runtime?: boolean;
}

export interface AppInfo {
  name: string;
  version: string;
  versions: { node: string; electron?: string; chrome?: string; tfjs: string };
  platform: string;
  dataDir: string;
  /** 'desktop' inside Electron, 'serve' when the UI is served to a browser. */
  shell: 'desktop' | 'serve';
  backends: BackendStatus[];
}

export type DatasetStatus = 'scanning' | 'ready' | 'empty' | 'failed' | 'cancelled';

export interface DatasetSummary {
  id: string;
  name: string;
  path: string;
  status: DatasetStatus;
  imageCount: number;
  skippedCount: number;
  duplicateCount: number;
  createdAt: number;
  updatedAt: number;
  error?: string;
}

export const colorModes = ['rgb', 'rgba', 'grey', 'grey-alpha', 'cmyk', '16-bit'] as const;
export type ColorMode = (typeof colorModes)[number];

export const skipReasons = [
  'not-an-image',
  'unsupported-format',
  'corrupt',
  'too-small',
  'unreadable',
  'duplicate',
] as const;
export type SkipReason = (typeof skipReasons)[number];

export interface DatasetReport {
  scannedFiles: number;
  usable: number;
  skipped: Record<SkipReason, number>;
  modes: Record<ColorMode, number>;
  /** What the studio does with each colour mode, in words. */
  modeHandling: Record<ColorMode, string>;
  formats: Record<string, number>;
  /** Histogram of the longer side, in buckets labelled like "≤64", "65–128". */
  sizes: { label: string; count: number }[];
  aspectRatios: { label: string; count: number }[];
  duplicates: { kept: number; dropped: number };
  minSize: number;
  durationMs: number;
}

export interface DatasetFile {
  id: number;
  relPath: string;
  bytes: number;
  width: number | null;
  height: number | null;
  format: string | null;
  mode: ColorMode | null;
  status: 'used' | 'skipped';
  reason: SkipReason | null;
  detail: string | null;
}

export interface DatasetDetail extends DatasetSummary {
  report: DatasetReport | null;
  caches: DatasetCache[];
}

export interface DatasetCache {
  key: string;
  resolution: number;
  crop: CropMode;
  flip: boolean;
  count: number;
  bytes: number;
  createdAt: number;
}

export type RunStatus = 'queued' | 'running' | 'paused' | 'stopped' | 'finished' | 'failed' | 'interrupted';

export interface RunSummary {
  id: string;
  name: string;
  datasetId: string | null;
  datasetName: string | null;
  status: RunStatus;
  backend: BackendName | null;
  /** CPU threads of a wasm run; null for other backends or before it started. */
  threads: number | null;
  step: number;
  totalSteps: number;
  resolution: number;
  tags: string[];
  notes: string;
  createdAt: number;
  updatedAt: number;
  /** Seconds spent training, summed over sessions. */
  trainSeconds: number;
  error: string | null;
}

export interface RunDetail extends RunSummary {
  config: TrainConfig;
  /** Why each better backend was skipped when the run started. */
  backendNotes: BackendStatus[];
  samples: { step: number; url: string }[];
  checkpoints: { step: number; createdAt: number; starred: boolean }[];
}

export interface MetricPoint {
  step: number;
  value: number;
}

export type MetricSeries = Record<string, MetricPoint[]>;
