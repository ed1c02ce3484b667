/**
 * The types of the API contract: every result and event payload the renderer and the engine
 * exchange. One file on purpose (longer than most): api.ts and events.ts name these types, and a
 * reader follows a method's result here without guessing which of several files holds it.
 */
import type { BackendName, ConfigField, CropMode, TrainConfig } from './config.js';

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

/** A run's health in plain words: what is going wrong, and what to try (main/training/engine/health.ts). */
export interface HealthWarning {
  code: 'discriminator-winning' | 'mode-collapse' | 'divergence' | 'small-dataset';
  /** The step at which it was seen. */
  step: number;
  title: string;
  message: string;
  advice: string;
  /**
   * Set on the notice that the condition `code` names has passed (the run recovered): the
   * warning before it no longer holds. Its advice is then empty.
   */
  cleared?: boolean;
}

/**
 * How long a run of given settings is expected to take on this machine, from a short timed
 * calibration of that model on the backend that would train it (main/training/host/calibration.ts).
 */
export interface TrainingEstimate {
  backend: BackendName;
  /** CPU threads of wasm; null for the other backends. */
  threads: number | null;
  /** Why each better backend was skipped, as a run records it. */
  notes: BackendStatus[];
  steps: number;
  secondsPerStep: number;
  imagesPerSecond: number;
  /** The whole run: every step, plus start-up, sample grids, quality points and checkpoints. */
  totalSeconds: number;
  /** Of totalSeconds, what is not training steps. */
  overheadSeconds: number;
  /** When the speed was measured (ms since the epoch). */
  measuredAt: number;
  /** Another run was training while it was measured, so a run alone may be faster. */
  measuredWhileBusy: boolean;
  /** Measured for this request (false: read from the data folder's cache). */
  fresh: boolean;
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
  /** Config fields the runs list shows as columns. */
  loss: TrainConfig['loss'];
  lrG: number;
  lrD: number;
  batchSize: number;
  /** The last recorded losses; null before the first metrics arrive. */
  lastDLoss: number | null;
  lastGLoss: number | null;
}

export const runSortKeys = [
  'name',
  'status',
  'dataset',
  'resolution',
  'loss',
  'lrG',
  'lrD',
  'batchSize',
  'steps',
  'backend',
  'duration',
  'dLoss',
  'gLoss',
  'created',
] as const;
export type RunSortKey = (typeof runSortKeys)[number];

export type ConfigValue = TrainConfig[ConfigField];

/** One field a continuation changed. */
export interface ConfigChange {
  field: ConfigField;
  from: ConfigValue;
  to: ConfigValue;
}

export const runEventKinds = [
  'created',
  'started',
  'continued',
  'paused',
  'stopped',
  'finished',
  'failed',
  'interrupted',
  'warning',
] as const;
export type RunEventKind = (typeof runEventKinds)[number];

/**
 * One entry of a run's history. 'started' opens a training session (the first one or a resume);
 * 'continued' is the user's request to go on, with what changed and from which checkpoint.
 */
export interface RunEvent {
  kind: RunEventKind;
  /** Wall-clock time, ms since the epoch. */
  at: number;
  step: number;
  /** 'started': seconds trained before this session, to map wall time to training time. */
  trainSeconds?: number;
  /** 'continued': the config fields it changed (none when it only resumed). */
  changes?: ConfigChange[];
  /** 'continued': the checkpoint it went on from; null when there was none (step 0). */
  fromStep?: number | null;
  /** 'continued' from an earlier checkpoint: the later checkpoints it removed. */
  discardedCheckpoints?: number[];
  /**
   * 'continued': newer checkpoints that did not verify (damaged, cut short or missing), set aside
   * (renamed `….damaged`) so the run went on from the newest good one.
   */
  damagedCheckpoints?: { step: number; file: string; reason: string }[];
  /** 'failed', 'paused' by divergence, 'interrupted': what went wrong. */
  error?: string;
  /** 'warning': the run's health, in plain words. */
  warning?: HealthWarning;
}

export interface CheckpointInfo {
  step: number;
  createdAt: number;
  starred: boolean;
}

/** Final and best (lowest) value of one metric. */
export interface MetricStat {
  name: string;
  count: number;
  last: number;
  lastStep: number;
  min: number;
  minStep: number;
}

export interface RunDetail extends RunSummary {
  config: TrainConfig;
  /** Why each better backend was skipped when the run started. */
  backendNotes: BackendStatus[];
  /** The dataset it trains on; null once the dataset was removed. */
  dataset: { id: string; name: string; path: string; imageCount: number; status: DatasetStatus } | null;
  samples: { step: number; url: string }[];
  checkpoints: CheckpointInfo[];
  history: RunEvent[];
  /** When training first started and when it last finished (null if not yet). */
  startedAt: number | null;
  finishedAt: number | null;
  /** Final and best values of every recorded metric. */
  stats: MetricStat[];
}

export interface MetricPoint {
  step: number;
  value: number;
}

export type MetricSeries = Record<string, MetricPoint[]>;

/**
 * One metric of one run, as columns. When the run has more points than asked for, each point
 * stands for a bucket of steps: value is the bucket's mean, min and max its extremes, step and
 * seconds those of its last point.
 */
export interface SeriesColumns {
  step: number[];
  /** Training time in seconds at each point (pauses left out). */
  seconds: number[];
  /** Wall-clock time of each point, ms since the epoch. */
  wall: number[];
  value: number[];
  min?: number[];
  max?: number[];
}

export interface RunSeries {
  runId: string;
  metrics: Record<string, SeriesColumns>;
}

/**
 * Series of one or more runs on one grid: every run's buckets cover the same steps, so their
 * points line up step for step.
 */
export interface SeriesSet {
  /** Steps per bucket; 0 when every recorded point is there. */
  bucket: number;
  runs: RunSeries[];
}

export interface ConfigRow {
  field: ConfigField;
  label: string;
  /** One value per compared run, in the order of the runs. */
  values: ConfigValue[];
  differs: boolean;
}

export interface RunComparison {
  runs: RunDetail[];
  /** Every config field, those whose values differ marked. */
  config: ConfigRow[];
  differing: ConfigField[];
  /** Steps at which any of the runs has a sample grid, ascending. */
  sampleSteps: number[];
}

export interface ExportFile {
  fileName: string;
  mimeType: string;
  content: string;
}

// ---- latent explorer ---------------------------------------------------------------------------

/** A run the latent explorer can open: one with at least one checkpoint. */
export interface LatentRun {
  id: string;
  name: string;
  status: RunStatus;
  resolution: number;
  latentSize: number;
  /** Whether the run keeps an EMA generator (emaDecay > 0), which the explorer uses by default. */
  ema: boolean;
  datasetId: string | null;
  datasetName: string | null;
  checkpoints: CheckpointInfo[];
  createdAt: number;
}

export type GeneratorWeights = 'ema' | 'g';
export type InterpolationMode = 'slerp' | 'lerp';

/** The generator an answer came from. */
export interface LatentGenerator {
  runId: string;
  /** The checkpoint's step. */
  step: number;
  weights: GeneratorWeights;
  resolution: number;
  latentSize: number;
  /** The backend that computed it (the best the machine has). */
  backend: BackendName;
}

export interface LatentSamples extends LatentGenerator {
  truncation: number;
  /** One image per seed, as a PNG data URL at the generator's resolution. */
  images: { seed: number; url: string }[];
}

export interface LatentFrame {
  index: number;
  /** The segment (0 = first seed to second) and the position along it, 0 to 1. */
  segment: number;
  t: number;
  /** One of the seeds' own samples. */
  keyframe: boolean;
  url: string;
}

export interface LatentPath extends LatentGenerator {
  seeds: number[];
  mode: InterpolationMode;
  framesPerSegment: number;
  truncation: number;
  frames: LatentFrame[];
}

/** A file the studio wrote under its data folder's exports/. */
export interface ExportedFile {
  fileName: string;
  /** Absolute path on the machine that runs the studio. */
  path: string;
  /** Where the UI can show or download it (/media/exports/…). */
  url: string;
  mimeType: string;
  bytes: number;
}

export interface LatentExport extends LatentGenerator, ExportedFile {
  frames: number;
  width: number;
  height: number;
}

export interface ModelExport extends LatentGenerator {
  format: 'tfjs';
  /** Absolute folder holding model.json and its weights. */
  folder: string;
  files: ExportedFile[];
}

export type GenerationStatus = 'running' | 'finished' | 'cancelled' | 'failed';

/** A generated data set, while it is written and after. */
export interface GenerationJob {
  id: string;
  runId: string;
  runName: string;
  step: number;
  weights: GeneratorWeights;
  count: number;
  seedStart: number;
  truncation: number;
  /** The folder the images and manifest.json go in (removed again if cancelled or failed). */
  folder: string;
  status: GenerationStatus;
  done: number;
  imagesPerSecond: number;
  etaSeconds: number | null;
  backend: BackendName | null;
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
}

/** A generated sample beside the training image nearest to it. */
export interface MemorisationMatch {
  seed: number;
  url: string;
  /** The nearest training image as the run trained on it (its resolution and crop). */
  nearestUrl: string;
  nearestIndex: number;
  /** Root-mean-square pixel difference, 0 (identical) to 1. */
  distance: number;
  /** Closer than the threshold: very likely a copy of a training image. */
  nearCopy: boolean;
}

export interface MemorisationCheck extends LatentGenerator {
  truncation: number;
  threshold: number;
  datasetName: string;
  trainingCount: number;
  matches: MemorisationMatch[];
}

/** A run rebuilt from its folder after the store lost it (runs.recover, `gan-studio doctor`). */
export interface RecoveredRun {
  id: string;
  name: string;
  status: RunStatus;
  /** The step of its newest checkpoint that verifies: where it goes on from. */
  step: number;
  checkpoints: number;
  samples: number;
  chartPoints: number;
  /** What could not be rebuilt, each in a sentence (empty when nothing was lost). */
  lost: string[];
}

export interface RecoveryReport {
  runs: RecoveredRun[];
  /** Folders that could not be rebuilt, and why. */
  skipped: { id: string; reason: string }[];
}
