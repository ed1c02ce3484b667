import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { maxRelativeError, onBackend, randomValues } from '../helpers.js';

type Pad = 'same' | 'valid';
interface Case {
  batch: number;
  size: [number, number];
  inC: number;
  outC: number;
  kernel: [number, number];
  strides: number | [number, number];
  pad: Pad;
}

const cases: Case[] = [];
const kernels: [number, number][] = [
  [1, 1],
  [2, 2],
  [3, 3],
  [4, 4],
  [5, 3],
];
const strides: (number | [number, number])[] = [1, 2, 3, [2, 1]];
let i = 0;
for (const kernel of kernels) {
  for (const stride of strides) {
    for (const pad of ['same', 'valid'] as const) {
      i++;
      const batch = i % 2 === 0 ? 1 : 3;
      const size: [number, number] = i % 3 === 0 ? [7, 9] : i % 3 === 1 ? [8, 8] : [11, 6];
      // The stock wasm conv2d returns zeros for 'same' with kernel < stride (tfjs 4.22); the
      // forward op is not ours, so those cases only check the gradients on valid padding.
      const s = typeof stride === 'number' ? [stride, stride] : stride;
      if (pad === 'same' && (kernel[0] < (s[0] ?? 1) || kernel[1] < (s[1] ?? 1))) continue;
      if (kernel[0] > size[0] || kernel[1] > size[1]) continue;
      cases.push({ batch, size, inC: 2 + (i % 3), outC: 3 + (i % 4), kernel, strides: stride, pad });
    }
  }
}

function label(c: Case): string {
  return `x[${c.batch},${c.size.join('x')},${c.inC}] k${c.kernel.join('x')} s${String(c.strides)} ${c.pad} → ${c.outC}`;
}

function conv2dGrads(c: Case): { dx: Float32Array; dw: Float32Array; y: Float32Array } {
  return tf.tidy(() => {
    const xShape: [number, number, number, number] = [c.batch, c.size[0], c.size[1], c.inC];
    const wShape: [number, number, number, number] = [c.kernel[0], c.kernel[1], c.inC, c.outC];
    const x = tf.tensor4d(
      randomValues(
        xShape.reduce((a, b) => a * b),
        1,
      ),
      xShape,
    );
    const w = tf.tensor4d(
      randomValues(
        wShape.reduce((a, b) => a * b),
        2,
      ),
      wShape,
    );
    const y = tf.conv2d(x, w, c.strides, c.pad);
    const dy = tf.tensor(randomValues(y.size, 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad),
    )([x, w], dy);
    return {
      dx: dx!.dataSync() as Float32Array,
      dw: dw!.dataSync() as Float32Array,
      y: y.dataSync() as Float32Array,
    };
  });
}

function conv2dTransposeGrads(c: Case): { dx: Float32Array; dw: Float32Array; y: Float32Array } {
  return tf.tidy(() => {
    // conv2dTranspose maps [n, h, w, outC] → [n, H, W, inC] where conv2d maps H → h.
    const outShape: [number, number, number, number] = [c.batch, c.size[0], c.size[1], c.inC];
    const wShape: [number, number, number, number] = [c.kernel[0], c.kernel[1], c.inC, c.outC];
    const probe = tf.conv2d(
      tf.zeros(outShape) as tf.Tensor4D,
      tf.zeros(wShape) as tf.Tensor4D,
      c.strides,
      c.pad,
    );
    const inShape = probe.shape;
    const x = tf.tensor4d(randomValues(probe.size, 4), inShape);
    const w = tf.tensor4d(
      randomValues(
        wShape.reduce((a, b) => a * b),
        5,
      ),
      wShape,
    );
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape, c.strides, c.pad);
    const y = f(x, w);
    const dy = tf.tensor(randomValues(y.size, 6), y.shape);
    const [dx, dw] = tf.grads(f)([x, w], dy);
    return {
      dx: dx!.dataSync() as Float32Array,
      dw: dw!.dataSync() as Float32Array,
      y: y.dataSync() as Float32Array,
    };
  });
}

describe('wasm training kernels match the cpu backend', () => {
  it.each(cases.map((c) => [label(c), c] as const))('conv2d grads %s', async (_name, c) => {
    const cpu = await onBackend('cpu', () => conv2dGrads(c));
    const wasm = await onBackend('wasm', () => conv2dGrads(c));
    expect(maxRelativeError(wasm.y, cpu.y)).toBeLessThan(1e-4);
    expect(maxRelativeError(wasm.dx, cpu.dx)).toBeLessThan(1e-4);
    expect(maxRelativeError(wasm.dw, cpu.dw)).toBeLessThan(1e-4);
  });

  it.each(cases.map((c) => [label(c), c] as const))('conv2dTranspose and grads %s', async (_name, c) => {
    const cpu = await onBackend('cpu', () => conv2dTransposeGrads(c));
    const wasm = await onBackend('wasm', () => conv2dTransposeGrads(c));
    expect(maxRelativeError(wasm.y, cpu.y)).toBeLessThan(1e-4);
    expect(maxRelativeError(wasm.dx, cpu.dx)).toBeLessThan(1e-4);
    expect(maxRelativeError(wasm.dw, cpu.dw)).toBeLessThan(1e-4);
  });

  it('covers the DCGAN shapes', async () => {
    const c: Case = { batch: 2, size: [16, 16], inC: 8, outC: 16, kernel: [4, 4], strides: 2, pad: 'same' };
    const cpu = await onBackend('cpu', () => conv2dTransposeGrads(c));
    const wasm = await onBackend('wasm', () => conv2dTransposeGrads(c));
    expect(maxRelativeError(wasm.y, cpu.y)).toBeLessThan(1e-4);
    expect(maxRelativeError(wasm.dw, cpu.dw)).toBeLessThan(1e-4);
  });

  it('leaks no tensors or wasm memory', async () => {
    const c: Case = { batch: 3, size: [9, 9], inC: 4, outC: 5, kernel: [4, 4], strides: 2, pad: 'same' };
    await onBackend('wasm', () => conv2dTransposeGrads(c));
    const before = tf.memory().numTensors;
    const dataIds = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    for (let k = 0; k < 3; k++) conv2dTransposeGrads(c);
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(dataIds);
  });
});
