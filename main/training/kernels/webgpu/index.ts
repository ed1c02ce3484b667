import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { activationGradConfig } from './activation.js';
import { conv2dBackpropFilterWebgpuConfig } from './backprop-filter.js';
import { batchNormApplyConfig, batchNormGradConfig } from './batch-norm.js';
import { groupReduceConfig } from './group-reduce.js';
import { lossGradConfig, lossMetricsConfig } from './loss.js';
import { adamApplyConfig, adamMomentsConfig, lerpConfig } from './optimizer.js';

export { webgpuKernelNames } from './names.js';

const ours: KernelConfig[] = [
  groupReduceConfig,
  batchNormApplyConfig,
  batchNormGradConfig,
  adamMomentsConfig,
  adamApplyConfig,
  lerpConfig,
  activationGradConfig,
  lossGradConfig,
  lossMetricsConfig,
];

let stockBackpropFilter: KernelConfig | undefined;
let registered = false;

/**
 * Registers the training kernels for the 'webgpu' backend: the engine's fused ops (which the
 * engine calls by name when it runs on webgpu) and a faster Conv2DBackpropFilter in place of
 * tfjs's. Idempotent; call after the backend has started, as for wasm.
 */
export function registerWebgpuTrainingKernels(): void {
  if (registered) return;
  stockBackpropFilter = getKernel('Conv2DBackpropFilter', 'webgpu');
  if (stockBackpropFilter !== undefined) unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  registerKernel(conv2dBackpropFilterWebgpuConfig);
  for (const config of ours) {
    if (getKernel(config.kernelName, 'webgpu') === undefined) registerKernel(config);
  }
  registered = true;
}

/** Puts tfjs's own filter gradient back (tests compare against it). */
export function unregisterWebgpuTrainingKernels(): void {
  if (!registered) return;
  unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  if (stockBackpropFilter !== undefined) registerKernel(stockBackpropFilter);
  registered = false;
}
