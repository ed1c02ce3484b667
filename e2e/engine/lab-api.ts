import type { TrainConfigInput } from '../../shared/config.js';
import type { StepMetrics } from '../../main/training/engine/trainer.js';
import type { KernelCheck } from './kernel-checks.js';

/** What the engine lab page (lab.ts) offers its drivers, as `globalThis.engineLab`. */
export interface EngineLab {
  /** The WebGPU adapter, in words ('none' without one). */
  adapter(): Promise<string>;
  train(backend: 'webgpu' | 'cpu', config: TrainConfigInput, steps: number): Promise<LabTrainResult>;
  /** One training step of a fresh trainer, nothing else. */
  step(backend: 'webgpu' | 'cpu', config: TrainConfigInput): Promise<StepMetrics>;
  /** The latent explorer's generator after two steps: a slerp path and reference statistics. */
  explore(backend: 'webgpu' | 'cpu', config: TrainConfigInput): Promise<LabExploreResult>;
  /** Kernel calls and times of one training step on webgpu. */
  profile(config: TrainConfigInput): Promise<LabProfile>;
  /** Every WebGPU training kernel against the cpu backend on a table of shapes. */
  kernels(): Promise<KernelCheck[]>;
}

export interface LabTrainResult {
  metrics: StepMetrics[];
  /** Over the steps after the first (which compiles the pipelines). */
  imagesPerSecond: number;
  /** The first 64 values of two images generated after training. */
  generated: number[];
  /** Tensors left over by one more step (0 when nothing leaks). */
  tensorLeak: number;
}

export interface LabExploreResult {
  frames: number;
  /** Every frame's pixels, in order. */
  path: number[];
  /** Every batch norm's reference mean then variance, layer by layer. */
  statistics: number[];
}

export interface LabProfile {
  kernelCalls: number;
  kernels: { name: string; calls: number; ms: number }[];
}
