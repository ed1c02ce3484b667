import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether ops run on WebGPU, where the engine takes other routes than on CPU backends (see
 * layers.ts) and calls the fused kernels of kernels/webgpu, which the backend registers when it
 * starts. Read per op, so one engine serves every backend of a process.
 */
export function onWebgpu(): boolean {
  return tf.getBackend() === 'webgpu';
}
