import type { BackendName, TrainConfig } from '../../shared/config.js';
import type { BackendStatus, HealthWarning } from '../../shared/types.js';

/** Messages between the run manager (main thread) and one training worker thread. */

export interface StartMessage {
  type: 'start';
  runId: string;
  /** Absolute run folder: checkpoints/, samples/ and config.json live here. */
  runDir: string;
  /** Absolute path of the dataset's training cache (see main/datasets cache format). */
  cacheFile: string;
  config: TrainConfig;
  /** Backend asked for: 'auto' picks the best that loads. */
  backend: 'auto' | BackendName;
  /** Absolute checkpoint file to resume from; absent for a fresh run. */
  resumeFrom?: string;
  /** Number of images in the dataset (for DiffAugment 'auto'). */
  datasetSize: number;
}

export type ToWorker =
  | StartMessage
  /** Write a checkpoint, then end with reason 'paused'. */
  | { type: 'pause' }
  /** Write a checkpoint, then end with reason 'stopped'. */
  | { type: 'stop' };

export type EndReason = 'finished' | 'paused' | 'stopped' | 'diverged' | 'failed';

export type FromWorker =
  | {
      type: 'backend';
      backend: BackendName;
      notes: BackendStatus[];
      /** CPU threads wasm trains on (config.threads resolved); absent for the other backends. */
      threads?: number;
    }
  /** Metrics of one step (every config.metricsEvery steps, and at least every 2 s). */
  | { type: 'metrics'; step: number; wallTime: number; values: Record<string, number> }
  | { type: 'progress'; step: number; imagesPerSecond: number }
  /** A sample grid PNG was written; file is relative to runDir. */
  | { type: 'sample'; step: number; file: string }
  /** The run's health: something going wrong, in plain words (health.ts). */
  | { type: 'warning'; warning: HealthWarning }
  /** A checkpoint was written atomically; file is relative to runDir. */
  | { type: 'checkpoint'; step: number; file: string }
  | { type: 'ended'; reason: EndReason; step: number; error?: string };

/** Messages between the calibration host (host/calibration.ts) and a calibration worker thread. */

/** What to time: one model and batch on one backend; steps and learning rates do not matter. */
export interface CalibrationRequest {
  type: 'calibrate';
  backend: 'auto' | BackendName;
  /** As TrainConfig.threads (wasm only). */
  threads: number;
  config: TrainConfig;
  /** Time the steady-state steps for at least this long (s), and at least three of them. */
  minSeconds: number;
  maxSteps: number;
}

/** Seconds each part of a run costs here, as measured. */
export interface Measurement {
  backend: BackendName;
  threads: number | null;
  notes: BackendStatus[];
  /** Choosing the backend, building the models and the first, slower steps (kernels compiling). */
  startupSeconds: number;
  secondsPerStep: number;
  /** Steps timed for secondsPerStep. */
  timedSteps: number;
  sampleSeconds: number;
  swdSeconds: number;
  checkpointSeconds: number;
}

export type FromCalibration =
  | { type: 'progress'; backend: BackendName | null; done: number; total: number }
  | { type: 'result'; measurement: Measurement }
  | { type: 'failed'; error: string };
