import {
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { nhwcConvInfo } from '../conv-info.js';
import { filterGradPadding } from '../geometry.js';
import { conv2dExplicit, cropSpatial, release, transpose, type WasmBackendLike } from './wasm-calls.js';

/**
 * Conv2DBackpropFilter for the wasm backend, which has none (its Conv3DBackpropFilterV2 is wrong
 * for strides > 1, so it cannot stand in).
 *
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·s + kh − p, ow·s + kw − p, ci] · dy[n, oh, ow, co]
 *
 * is an ordinary convolution: x with batch and channel axes swapped ([ci, H, W, n]) as the
 * input, dy as [oh, ow, n, co] as the filter dilated by the stride, stride 1, padding chosen so
 * the output is [ci, kh, kw, co]. That runs in XNNPACK like any forward conv2d.
 */
export function conv2dBackpropFilter(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs,
): TensorInfo {
  const info = nhwcConvInfo('Conv2DBackpropFilter on wasm', x.shape, attrs.filterShape, attrs);
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth } = info;
  const rows = filterGradPadding(inHeight, outHeight, filterHeight, info.strideHeight, info.padInfo.top);
  const cols = filterGradPadding(inWidth, outWidth, filterWidth, info.strideWidth, info.padInfo.left);

  // Rows and columns past the last window are never read: crop them instead of a negative pad.
  const used = cropSpatial(
    backend,
    x,
    0,
    inHeight + Math.min(0, rows.padAfter),
    0,
    inWidth + Math.min(0, cols.padAfter),
  );
  const xT = transpose(backend, used, [3, 1, 2, 0]); // [ci, H', W', n]
  if (used !== x) release(backend, used);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [oh, ow, n, co]
  const grad = conv2dExplicit(
    backend,
    xT,
    dyT,
    {
      top: rows.padBefore,
      bottom: Math.max(0, rows.padAfter),
      left: cols.padBefore,
      right: Math.max(0, cols.padAfter),
    },
    [info.strideHeight, info.strideWidth],
  ); // [ci, kh, kw, co]
  release(backend, xT, dyT);
  const out = transpose(backend, grad, [1, 2, 0, 3]); // [kh, kw, ci, co]
  release(backend, grad);
  return out;
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: (({ inputs, attrs, backend }) => {
    const { x, dy } = inputs;
    if (x === undefined || dy === undefined) throw new Error('Conv2DBackpropFilter needs x and dy.');
    return conv2dBackpropFilter(
      backend as WasmBackendLike,
      x,
      dy,
      attrs as unknown as Conv2DBackpropFilterAttrs,
    );
  }) as KernelFunc,
};
