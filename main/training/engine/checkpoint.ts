import type { TrainConfig } from '../../../shared/config.js';
import type { DataOrderState } from './data.js';
import type { RngState } from './rng.js';

/**
 * What a checkpoint holds: everything a resume needs, G, D, EMA-G, both optimizers' moments
 * (tensors) and the step, RNG states, data order and optimizer step counts (meta). Its file
 * format is main/training/checkpoint-file.ts.
 */

export const checkpointFormat = 1;

export interface TensorRecord {
  data: Float32Array;
  shape: number[];
}

export interface CheckpointMeta {
  format: typeof checkpointFormat;
  /** Iterations completed. */
  step: number;
  config: TrainConfig;
  datasetSize: number;
  rng: { noise: RngState; augment: RngState; flip: RngState };
  data: DataOrderState;
  /** Adam update counts (bias correction). */
  optimizers: { g: number; d: number };
  emaUpdates: number;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  tensors: Record<string, TensorRecord>;
}
