import * as tf from '@tensorflow/tfjs-core';
import { onWebgpu } from './device.js';
import type {
  BackwardOptions,
  Constants,
  ForwardOptions,
  Grads,
  Layer,
  ParamSpec,
  Params,
  Saved,
} from './layers.js';

/**
 * The layers the small-data family adds to layers.ts (models/fastgan.ts): nearest-neighbour
 * up-sampling, average pooling, a sigmoid gate, and skip-layer excitation (Liu et al. 2021), a
 * layer made of layers. Each with its hand-written backward pass, as the rest of the engine.
 */

/**
 * Per-sample sums over height and width: [N, H, W, C] → [N, 1, 1, C]. On wasm an average pool
 * over the whole image (XNNPACK; a tf.sum over middle axes transposes first); on webgpu a sum,
 * since a pool window that large exceeds its dispatch limits at large batches.
 */
export function spatialSums(x: tf.Tensor4D): tf.Tensor4D {
  const [, h = 1, w = 1] = x.shape;
  if (onWebgpu()) return tf.sum(x, [1, 2], true);
  return tf.mul(tf.avgPool(x, [h, w], 1, 'valid'), h * w);
}

/** Nearest-neighbour 2× up-sampling (each pixel becomes a 2×2 block), as Keras's UpSampling2D. */
export class Upsample2x implements Layer {
  readonly params: ParamSpec[] = [];

  forward(_p: Params, x: tf.Tensor): { y: tf.Tensor; saved: Saved } {
    const [, h = 1, w = 1] = x.shape;
    return { y: tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [2 * h, 2 * w]), saved: [] };
  }

  backward(_p: Params, dy: tf.Tensor): tf.Tensor {
    // Each input pixel fed a 2×2 block: its gradient is the block's sum.
    return tf.mul(tf.avgPool(dy as tf.Tensor4D, 2, 2, 'valid'), 4);
  }
}

/** Average pooling over non-overlapping k×k windows: [N, H, W, C] → [N, H/k, W/k, C]. */
export class AvgPool implements Layer {
  readonly params: ParamSpec[] = [];
  constructor(readonly k: number) {}

  forward(_p: Params, x: tf.Tensor): { y: tf.Tensor; saved: Saved } {
    if (this.k === 1) return { y: x, saved: [] };
    return { y: tf.avgPool(x as tf.Tensor4D, this.k, this.k, 'valid'), saved: [] };
  }

  backward(_p: Params, dy: tf.Tensor): tf.Tensor {
    if (this.k === 1) return dy;
    const [, h = 1, w = 1] = dy.shape;
    const spread = tf.image.resizeNearestNeighbor(dy as tf.Tensor4D, [h * this.k, w * this.k]);
    return tf.div(spread, this.k * this.k);
  }
}

export class Sigmoid implements Layer {
  readonly params: ParamSpec[] = [];

  forward(_p: Params, x: tf.Tensor): { y: tf.Tensor; saved: Saved } {
    const y = tf.sigmoid(x);
    return { y, saved: [y] };
  }

  backward(_p: Params, dy: tf.Tensor, [y]: Saved): tf.Tensor {
    const s = y as tf.Tensor;
    return tf.mul(dy, tf.mul(s, tf.sub(1, s)));
  }
}

/** Runs layers in turn, keeping each one's saved tensors. */
function runStack(
  layers: readonly Layer[],
  p: Params,
  x: tf.Tensor,
  opts: ForwardOptions,
  k: Constants,
): { y: tf.Tensor; parts: Saved[] } {
  const parts: Saved[] = [];
  let h = x;
  for (const layer of layers) {
    const out = layer.forward(p, h, opts, k);
    parts.push(out.saved);
    h = out.y;
  }
  return { y: h, parts };
}

/** The backward pass of runStack; the input gradient only when asked for. */
function backStack(
  layers: readonly Layer[],
  p: Params,
  dy: tf.Tensor,
  parts: Saved[],
  opts: BackwardOptions,
  k: Constants,
  grads: Grads,
): tf.Tensor | null {
  let d: tf.Tensor | null = dy;
  for (let i = layers.length - 1; i >= 0 && d !== null; i--) {
    const inputGrad = i > 0 || opts.inputGrad;
    d = layers[i]!.backward(p, d, parts[i] ?? [], { paramGrads: opts.paramGrads, inputGrad }, k, grads);
  }
  return d;
}

/**
 * Skip-layer excitation (FastGAN): a small, early feature map gates the channels of a large,
 * late one. `inner` takes x (say 8×8) to the large map h (say 64×64); `excite` takes the same x
 * to one gate per channel of h, [N, 1, 1, C] in (0, 1); the output is h · gate. The gate lets
 * the coarse layout steer the fine layers directly, which is what lets the family learn shapes
 * from few images, and the gradient reaches the early layers through both paths.
 */
export class SkipExcite implements Layer {
  readonly params: ParamSpec[];

  constructor(
    readonly inner: readonly Layer[],
    readonly excite: readonly Layer[],
  ) {
    this.params = [...inner, ...excite].flatMap((layer) => [...layer.params]);
  }

  forward(p: Params, x: tf.Tensor, opts: ForwardOptions, k: Constants): { y: tf.Tensor; saved: Saved } {
    const big = runStack(this.inner, p, x, opts, k);
    const gate = runStack(this.excite, p, x, opts, k);
    const y = tf.mul(big.y, gate.y);
    const parts = [...big.parts, ...gate.parts];
    const saved: Saved = Object.assign([big.y, gate.y, ...parts.flat()], { parts });
    return { y, saved };
  }

  backward(
    p: Params,
    dy: tf.Tensor,
    saved: Saved,
    opts: BackwardOptions,
    k: Constants,
    grads: Grads,
  ): tf.Tensor | null {
    const [h, gate] = saved as [tf.Tensor4D, tf.Tensor4D];
    const parts = saved.parts ?? [];
    const dGate = spatialSums(tf.mul(dy, h) as tf.Tensor4D);
    const dh = tf.mul(dy, gate);
    const viaGate = backStack(this.excite, p, dGate, parts.slice(this.inner.length), opts, k, grads);
    const viaInner = backStack(this.inner, p, dh, parts.slice(0, this.inner.length), opts, k, grads);
    if (!opts.inputGrad || viaGate === null || viaInner === null) return null;
    return tf.add(viaGate, viaInner);
  }
}
