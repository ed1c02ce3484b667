import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig } from './backprop-filter.js';
import { conv2dBackpropInputConfig } from './backprop-input.js';

export { conv2dBackpropFilter } from './backprop-filter.js';
export { conv2dBackpropInput } from './backprop-input.js';

let stockBackpropInput: KernelConfig | undefined;
let registered = false;

/**
 * Registers the training kernels for the 'wasm' backend: the missing Conv2DBackpropFilter and a
 * faster Conv2DBackpropInput. Idempotent. Call it after the wasm backend has initialised (the
 * kernels call XNNPACK through the backend's own registered kernels).
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  stockBackpropInput = getKernel('Conv2DBackpropInput', 'wasm');
  if (stockBackpropInput !== undefined) unregisterKernel('Conv2DBackpropInput', 'wasm');
  registerKernel(conv2dBackpropInputConfig(stockBackpropInput));
  if (getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) {
    unregisterKernel('Conv2DBackpropFilter', 'wasm');
  }
  registerKernel(conv2dBackpropFilterConfig);
  registered = true;
}

/** Puts the stock kernels back (tests compare against them). */
export function unregisterWasmTrainingKernels(): void {
  if (!registered) return;
  unregisterKernel('Conv2DBackpropInput', 'wasm');
  unregisterKernel('Conv2DBackpropFilter', 'wasm');
  if (stockBackpropInput !== undefined) registerKernel(stockBackpropInput);
  registered = false;
}
