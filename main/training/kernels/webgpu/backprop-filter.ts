import {
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { nhwcConvInfo } from '../conv-info.js';
import { groupReduce } from './group-reduce.js';
import { ints, release, runFlat, type WebGpuBackendLike } from './program.js';

/**
 * Conv2DBackpropFilter for WebGPU, where tfjs's own kernel is the slowest of a GAN step (about
 * 20 ms of 33 at 32 px on an H200: one invocation per filter element, each looping over the
 * whole batch, so a few thousand invocations do all the work).
 *
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·s + kh − p, ow·s + kw − p, ci] · dy[n, oh, ow, co]
 *
 * The sum over (n, oh, ow) is split into chunks summed by separate invocations (split-K), each
 * invocation accumulating a tile of up to 4 input × 4 output channels in registers; a second
 * dispatch adds the chunks' partial filters (group-reduce.ts). NHWC, dilation 1.
 */

/** Invocations to aim for across chunks and tiles. */
const targetInvocations = 32768;
/** Positions summed per invocation at least. */
const minChunk = 64;

function tileOf(channels: number): 1 | 4 {
  return channels % 4 === 0 ? 4 : 1;
}

function code(tileIn: 1 | 4, tileOut: 1 | 4): string {
  const acc = tileOut === 4 ? 'vec4<f32>' : 'f32';
  const dyValue = tileOut === 4 ? 'vec4<f32>(dy[d], dy[d + 1], dy[d + 2], dy[d + 3])' : 'dy[d]';
  const accumulate = Array.from(
    { length: tileIn },
    (_, i) => `acc[${i}] = acc[${i}] + x[xi + ${i}] * dv;`,
  ).join('\n');
  const store = Array.from({ length: tileIn }, (_, i) =>
    tileOut === 4
      ? `for (var j = 0; j < 4; j = j + 1) { result[o + ${i} * CO + j] = acc[${i}][j]; }`
      : `result[o + ${i} * CO] = acc[${i}];`,
  ).join('\n');
  return `
    let CI = uniforms.CI;
    let CO = uniforms.CO;
    let tilesOut = CO / ${tileOut};
    let tilesIn = CI / ${tileIn};
    let f = index % uniforms.F;
    let p = index / uniforms.F;
    let co = (f % tilesOut) * ${tileOut};
    var rest = f / tilesOut;
    let ci = (rest % tilesIn) * ${tileIn};
    rest = rest / tilesIn;
    let kw = rest % uniforms.KW;
    let kh = rest / uniforms.KW;

    let k0 = p * uniforms.R;
    let k1 = min(uniforms.K, k0 + uniforms.R);
    var ow = k0 % uniforms.OW;
    var oh = (k0 / uniforms.OW) % uniforms.OH;
    var n = k0 / (uniforms.OW * uniforms.OH);
    var acc : array<${acc}, ${tileIn}>;
    for (var k = k0; k < k1; k = k + 1) {
      let ih = oh * uniforms.SH + kh - uniforms.PT;
      let iw = ow * uniforms.SW + kw - uniforms.PL;
      if (ih >= 0 && ih < uniforms.H && iw >= 0 && iw < uniforms.W) {
        let xi = ((n * uniforms.H + ih) * uniforms.W + iw) * CI + ci;
        let d = ((n * uniforms.OH + oh) * uniforms.OW + ow) * CO + co;
        let dv = ${dyValue};
        ${accumulate}
      }
      ow = ow + 1;
      if (ow == uniforms.OW) {
        ow = 0;
        oh = oh + 1;
        if (oh == uniforms.OH) {
          oh = 0;
          n = n + 1;
        }
      }
    }
    let o = p * uniforms.filterSize + ((kh * uniforms.KW + kw) * CI + ci) * CO + co;
    ${store}`;
}

export function conv2dBackpropFilterWebgpu(
  backend: WebGpuBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs,
): TensorInfo {
  const info = nhwcConvInfo('Conv2DBackpropFilter on webgpu', x.shape, attrs.filterShape, attrs);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth } = info;
  const tileIn = tileOf(inChannels);
  const tileOut = tileOf(outChannels);
  const tiles = filterHeight * filterWidth * (inChannels / tileIn) * (outChannels / tileOut);
  const positions = batchSize * outHeight * outWidth;
  let chunks = Math.max(1, Math.min(Math.ceil(positions / minChunk), Math.ceil(targetInvocations / tiles)));
  const perChunk = Math.ceil(positions / chunks);
  chunks = Math.ceil(positions / perChunk);
  const filterSize = filterHeight * filterWidth * inChannels * outChannels;
  const partial = runFlat(
    backend,
    {
      key: `conv2d-backprop-filter-${tileIn}x${tileOut}`,
      outputShape: [chunks, filterSize],
      inputs: ['x', 'dy'],
      uniforms:
        'F : i32, CI : i32, CO : i32, KW : i32, H : i32, W : i32, OH : i32, OW : i32, SH : i32, SW : i32, PT : i32, PL : i32, K : i32, R : i32, filterSize : i32,',
      code: code(tileIn, tileOut),
    },
    chunks * tiles,
    [x, dy],
    ints(
      tiles,
      inChannels,
      outChannels,
      filterWidth,
      inHeight,
      inWidth,
      outHeight,
      outWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
      positions,
      perChunk,
      filterSize,
    ),
  );
  const shape = [filterHeight, filterWidth, inChannels, outChannels];
  if (chunks === 1) return { ...partial, shape };
  const summed = groupReduce(backend, [partial], 'sum', 1);
  release(backend, partial);
  return { ...summed, shape };
}

export const conv2dBackpropFilterWebgpuConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'webgpu',
  kernelFunc: (({ inputs, attrs, backend }) => {
    const { x, dy } = inputs;
    if (x === undefined || dy === undefined) throw new Error('Conv2DBackpropFilter needs x and dy.');
    return conv2dBackpropFilterWebgpu(
      backend as unknown as WebGpuBackendLike,
      x,
      dy,
      attrs as unknown as Conv2DBackpropFilterAttrs,
    );
  }) as KernelFunc,
};
