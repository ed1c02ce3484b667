import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { encodeCache } from '../../main/datasets/cache-format.js';
import { selectBackend } from '../../main/training/worker/backends.js';

export { maxRelativeError, randomValues } from '../common/synthetic.js';

/** The attributes the convolution kernels share. */
type ConvAttrs = Pick<tf.Conv2DAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'>;

/**
 * Registers the gradient of a convolution kernel whose saved inputs are a tensor and the filter;
 * `gradients` gets the incoming gradient, those two and the attributes.
 */
function registerConvGradient(
  kernelName: string,
  inputsToSave: [string, 'filter'],
  gradients: (
    dy: tf.Tensor4D,
    input: tf.Tensor4D,
    filter: tf.Tensor4D,
    attrs: ConvAttrs,
  ) => ReturnType<tf.GradFunc>,
): void {
  tf.registerGradient({
    kernelName,
    inputsToSave,
    gradFunc: (dy, saved, attrs) => {
      const [input, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as ConvAttrs;
      return gradients(dy as tf.Tensor4D, input, filter, { strides, pad, dataFormat, dimRoundingMode });
    },
  });
}

/** The filter's gradient, through the Conv2DBackpropFilter kernel under test. */
function backpropFilter(x: tf.Tensor, dy: tf.Tensor, attrs: ConvAttrs, filterShape: number[]): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    ...attrs,
    filterShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * tfjs-core's Node bundle ships no gradient functions (the @tensorflow/tfjs union package
 * registers them); the engine back-propagates by hand, so only these tests need tf.grad of the
 * two convolutions. Registered with the same maths as tfjs's own Conv2D_grad and
 * Conv2DBackpropInput_grad, through the kernels under test.
 */
export function registerConvGradients(): void {
  if (tf.getGradient('Conv2D') !== undefined) return;
  registerConvGradient('Conv2D', ['x', 'filter'], (dy, x, filter, attrs) => ({
    x: () =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
        ...attrs,
        inputShape: x.shape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    filter: () => backpropFilter(x, dy, attrs, filter.shape),
  }));
  registerConvGradient('Conv2DBackpropInput', ['dy', 'filter'], (ddx, dy, filter, attrs) => ({
    dy: () =>
      tf.conv2d(ddx, filter, attrs.strides, attrs.pad, attrs.dataFormat as 'NHWC', 1, attrs.dimRoundingMode),
    filter: () => backpropFilter(ddx, dy, attrs, filter.shape),
  }));
}

let wasmReady: Promise<void> | undefined;

/** Initialises the wasm backend (with the training kernels) once per test file; cpu stays registered. */
export function useWasm(): Promise<void> {
  wasmReady ??= selectBackend('wasm').then(({ backend }) => {
    if (backend !== 'wasm') throw new Error(`wasm did not start; got ${backend}`);
  });
  return wasmReady.then(async () => {
    await tf.setBackend('wasm');
  });
}

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
}

/** Runs f on a backend and returns its tensors' data, disposing everything it made. */
export async function onBackend<T>(name: 'wasm' | 'cpu', f: () => T): Promise<T> {
  registerConvGradients();
  if (name === 'wasm') await useWasm();
  else await useCpu();
  return f();
}

/** Writes a 32 px training cache of `count` patterned images, as a dataset build would. */
export function writeTestCache(file: string, count: number): void {
  const pixels = new Uint8Array(count * 32 * 32 * 3).map((_, i) => (i * 37 + (i >> 5)) % 256);
  const meta = {
    key: 'test',
    datasetId: 'ds',
    resolution: 32,
    crop: 'center' as const,
    flip: false,
    background: { r: 0, g: 0, b: 0 },
    createdAt: 0,
  };
  fs.writeFileSync(file, encodeCache({ flags: 0, height: 32, width: 32, channels: 3, meta }, pixels));
}
