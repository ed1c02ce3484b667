import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  diffAugment,
  diffAugmentBackward,
  releaseAugmentTape,
} from '../../../main/training/engine/diffaugment.js';
import {
  BatchNorm,
  Constants,
  Conv2D,
  ConvTranspose2D,
  Dense,
  LeakyReLU,
  ReLU,
  Reshape,
  Tanh,
  type Layer,
  type Params,
} from '../../../main/training/engine/layers.js';
import {
  discriminatorFakeLoss,
  discriminatorRealLoss,
  generatorLoss,
} from '../../../main/training/engine/losses.js';
import { buildDiscriminator, buildGenerator } from '../../../main/training/engine/models.js';
import { AvgPool, Sigmoid, SkipExcite, Upsample2x } from '../../../main/training/engine/blocks.js';
import { Network } from '../../../main/training/engine/network.js';
import { Rng } from '../../../main/training/engine/rng.js';
import { randomValues, useCpu } from '../helpers.js';

/**
 * The hand-written backward passes against central finite differences, along random directions
 * (float32, so tolerances are loose; a wrong gradient is off by far more).
 */

const eps = 1e-2;

/** Inputs kept away from zero so a step of eps never crosses a ReLU kink. */
function awayFromZero(size: number, seed: number): Float32Array {
  return randomValues(size, seed).map((v) => Math.sign(v || 1) * (0.2 + Math.abs(v)));
}

function dot(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0] ?? NaN);
}

function expectClose(analytic: number, numeric: number, label: string, tolerance = 3e-2): void {
  const scale = Math.max(1e-3, Math.abs(analytic), Math.abs(numeric));
  expect(
    Math.abs(analytic - numeric) / scale,
    `${label}: analytic ${analytic}, numeric ${numeric}`,
  ).toBeLessThan(tolerance);
}

function makeParams(layer: Layer, seed: number): Params {
  const params: Params = new Map();
  layer.params.forEach((spec, i) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values =
      spec.init === 'gamma'
        ? randomValues(size, seed + i).map((v) => 1 + 0.3 * v)
        : randomValues(size, seed + i).map((v) => 0.3 * v);
    params.set(spec.name, tf.variable(tf.tensor(values, spec.shape)));
  });
  return params;
}

/**
 * `warm` forward passes first: spectral norm's power iteration then sits at its fixed point, where
 * its gradient (u and v held constant) is the exact derivative a finite difference measures.
 */
function checkLayer(layer: Layer, inShape: number[], groups = 1, warm = 0): void {
  const k = new Constants();
  const params = makeParams(layer, 10);
  const x = tf.tensor(
    awayFromZero(
      inShape.reduce((a, b) => a * b, 1),
      20,
    ),
    inShape,
  );
  for (let i = 0; i < warm; i++) tf.dispose(layer.forward(params, x, { groups }, k).y);
  const probe = layer.forward(params, x, { groups }, k);
  const r = tf.tensor(randomValues(probe.y.size, 30), probe.y.shape);
  const loss = (p: Params, input: tf.Tensor) =>
    tf.tidy(() => tf.sum(tf.mul(layer.forward(p, input, { groups }, k).y, r)).dataSync()[0] ?? NaN);

  const grads: Record<string, tf.Tensor> = {};
  const dx = layer.backward(params, r, probe.saved, { paramGrads: true, inputGrad: true }, k, grads);
  if (dx === null) throw new Error('no input gradient');
  const v = tf.tensor(randomValues(x.size, 40), x.shape);
  const numeric =
    (loss(params, tf.add(x, tf.mul(v, eps))) - loss(params, tf.sub(x, tf.mul(v, eps)))) / (2 * eps);
  expectClose(dot(dx, v), numeric, 'input');

  for (const [name, p] of params) {
    if (layer.params.find((s) => s.name === name)?.state) continue;
    const g = grads[name];
    if (g === undefined) throw new Error(`no gradient for ${name}`);
    const dir = tf.tensor(randomValues(p.size, 50), p.shape);
    const original = p.clone();
    p.assign(tf.add(original, tf.mul(dir, eps)));
    const plus = loss(params, x);
    p.assign(tf.sub(original, tf.mul(dir, eps)));
    const minus = loss(params, x);
    p.assign(original);
    expectClose(dot(g, dir), (plus - minus) / (2 * eps), name);
  }
  k.dispose();
}

describe('hand-written gradients match finite differences (cpu)', () => {
  beforeAll(useCpu);

  it('Dense', () => checkLayer(new Dense('l', 5, 7, true), [3, 5]));
  it('Conv2D k4 s2 with bias', () => checkLayer(new Conv2D('l', 4, 2, 3, 5, true), [2, 8, 8, 3]));
  it('Conv2D k3 s1 without bias', () => checkLayer(new Conv2D('l', 3, 1, 2, 4, false), [2, 5, 5, 2]));
  it('ConvTranspose2D k4 s2 with bias', () =>
    checkLayer(new ConvTranspose2D('l', 4, 2, 4, 3, true), [2, 4, 4, 4]));
  it('BatchNorm, one group', () => checkLayer(new BatchNorm('l', 3), [4, 3, 3, 3]));
  it('BatchNorm, two groups', () => checkLayer(new BatchNorm('l', 3), [4, 3, 3, 3], 2));
  it('ReLU', () => checkLayer(new ReLU(), [2, 3, 3, 4]));
  it('LeakyReLU', () => checkLayer(new LeakyReLU(4), [2, 3, 3, 4]));
  it('Tanh', () => checkLayer(new Tanh(), [2, 3, 3, 4]));
  it('Reshape', () => checkLayer(new Reshape([2, 2, 3], [12]), [2, 2, 2, 3]));

  // The small-data family's layers (engine/blocks.ts, spectral norm in layers.ts).
  it('Upsample2x', () => checkLayer(new Upsample2x(), [2, 3, 3, 2]));
  it('AvgPool 2×2', () => checkLayer(new AvgPool(2), [2, 4, 4, 3]));
  it('Sigmoid', () => checkLayer(new Sigmoid(), [2, 3, 3, 4]));
  it('SkipExcite: both paths reach the input and every parameter', () =>
    checkLayer(
      new SkipExcite(
        [new Upsample2x(), new Conv2D('i', 3, 1, 3, 4, false), new ReLU()],
        [
          new AvgPool(1),
          new Reshape([4, 4, 3], [48]),
          new Dense('s', 48, 4, true),
          new LeakyReLU(4, 0.1),
          new Dense('e', 4, 4, true),
          new Sigmoid(),
          new Reshape([4], [1, 1, 4]),
        ],
      ),
      [2, 4, 4, 3],
    ));
  it('Conv2D with spectral norm', () =>
    checkLayer(new Conv2D('l', 4, 2, 3, 5, true, true), [2, 8, 8, 3], 1, 60));
  it('Dense with spectral norm', () => checkLayer(new Dense('l', 6, 4, true, true), [3, 6], 1, 60));

  it.each(['dcgan', 'fastgan'] as const)('whole generator and discriminator: %s', (family) => {
    for (const [layers, inShape] of [
      [buildGenerator({ family, resolution: 32, width: 0.0625, latentSize: 8 }), [3, 8]],
      [buildDiscriminator({ family, resolution: 32, width: 0.0625, latentSize: 8 }), [3, 32, 32, 3]],
    ] as const) {
      const net = new Network(layers, Rng.seeded(1, 'init'));
      // Spectral norm's power iteration to its fixed point first (see checkLayer).
      for (let i = 0; i < 60; i++) tf.dispose(net.infer(tf.zeros([...inShape])));
      const x = tf.tensor(
        awayFromZero(
          inShape.reduce((a, b) => a * b, 1),
          3,
        ),
        [...inShape],
      );
      const { y, tape } = net.forward(x);
      const r = tf.tensor(randomValues(y.size, 4), y.shape);
      const { dx, grads } = net.backward(tape, r, { paramGrads: true, inputGrad: true });
      const loss = (input: tf.Tensor) =>
        tf.tidy(() => tf.sum(tf.mul(net.infer(input), r)).dataSync()[0] ?? NaN);
      const v = tf.tensor(randomValues(x.size, 5), x.shape);
      expectClose(
        dot(dx as tf.Tensor, v),
        (loss(tf.add(x, tf.mul(v, eps))) - loss(tf.sub(x, tf.mul(v, eps)))) / (2 * eps),
        'input',
      );
      // Steps relative to each tensor's scale: DCGAN weights are N(0, 0.02²), and batch norm
      // makes the loss nearly scale-invariant in them, so an absolute step would be huge.
      // Whole networks in float32 with ReLU kinks: 6% still tells a wrong gradient (off by far
      // more) from rounding.
      const h = 1e-3;
      for (const [name, p] of net.trainable()) {
        // Along the claimed gradient itself: the largest signal over float32 rounding, and a
        // wrong gradient still shows, since the slope there is ⟨true, claimed⟩/|claimed|.
        const g = grads[name] as tf.Tensor;
        const rms = (t: tf.Tensor) => Math.sqrt(tf.tidy(() => tf.mean(tf.square(t)).dataSync()[0] ?? 0));
        const dir = tf.tidy(() => tf.mul(g, (rms(p) || 1) / (rms(g) || 1)));
        const original = p.clone();
        p.assign(tf.add(original, tf.mul(dir, h)));
        const plus = loss(x);
        p.assign(tf.sub(original, tf.mul(dir, h)));
        const minus = loss(x);
        p.assign(original);
        expectClose(dot(g, dir), (plus - minus) / (2 * h), name, 6e-2);
      }
      Network.release(tape);
      net.dispose();
    }
  });

  it('DiffAugment (colour, translation, cutout)', () => {
    const x = tf.tensor4d(randomValues(3 * 8 * 8 * 3, 7), [3, 8, 8, 3]);
    const r = tf.tensor4d(randomValues(x.size, 8), x.shape);
    const state = Rng.seeded(3, 'augment').state();
    const policy = ['color', 'translation', 'cutout'] as const;
    const loss = (input: tf.Tensor4D) =>
      tf.tidy(() => {
        const { y, tape } = diffAugment(input, policy, Rng.fromState(state));
        releaseAugmentTape(tape);
        return tf.sum(tf.mul(y, r)).dataSync()[0] ?? NaN;
      });
    const { tape } = diffAugment(x, policy, Rng.fromState(state));
    const dx = diffAugmentBackward(r, tape);
    const v = tf.tensor4d(randomValues(x.size, 9), x.shape);
    expectClose(
      dot(dx, v),
      (loss(tf.add(x, tf.mul(v, eps))) - loss(tf.sub(x, tf.mul(v, eps)))) / (2 * eps),
      'input',
    );
    releaseAugmentTape(tape);
  });

  it('the minimax loss is the saturating one: log(1 − σ(l)) for G, BCE for D', () => {
    const values = [-8, -2, 0, 1.5, 4];
    const logits = tf.tensor1d(values);
    const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));
    const expected = values.reduce((s, l) => s + Math.log(1 - sigmoid(l)), 0) / values.length;
    const g = generatorLoss('minimax', logits);
    expect(g.loss.dataSync()[0]).toBeCloseTo(expected, 5);
    // D plays the same game as with bce.
    for (const f of [discriminatorRealLoss, discriminatorFakeLoss]) {
      expect(f('minimax', logits).loss.dataSync()[0]).toBeCloseTo(f('bce', logits).loss.dataSync()[0]!, 6);
    }
    // Where D rejects G's images (l = −8), minimax's gradient has all but vanished and the
    // non-saturating loss's has not: the difference the form's help explains.
    const minimaxGrad = Math.abs(g.dLogits.dataSync()[0]!);
    const bceGrad = Math.abs(generatorLoss('bce', logits).dLogits.dataSync()[0]!);
    expect(minimaxGrad).toBeLessThan(1e-3 / values.length);
    expect(bceGrad).toBeGreaterThan(0.99 / values.length);
  });

  it('losses', () => {
    const logits = tf.tensor2d(
      randomValues(6, 11).map((v) => v * 3),
      [6, 1],
    );
    const v = tf.tensor2d(randomValues(6, 12), [6, 1]);
    for (const kind of ['bce', 'minimax', 'hinge'] as const) {
      for (const f of [discriminatorRealLoss, discriminatorFakeLoss, generatorLoss]) {
        const { dLogits } = f(kind, logits);
        const value = (l: tf.Tensor) => f(kind, l).loss.dataSync()[0] ?? NaN;
        const h = 1e-4;
        expectClose(
          dot(dLogits, v),
          (value(tf.add(logits, tf.mul(v, h))) - value(tf.sub(logits, tf.mul(v, h)))) / (2 * h),
          `${kind} ${f.name}`,
        );
      }
    }
  });
});
