import * as tf from '@tensorflow/tfjs-core';
import type { ActivationGradKind } from '../kernels/webgpu/activation.js';
import type { GroupReduceMode } from '../kernels/webgpu/group-reduce.js';
import { webgpuKernelNames } from '../kernels/webgpu/names.js';
import { onWebgpu } from './device.js';
import { spectralGrad, spectralWeight } from './spectral.js';

/**
 * Layers with hand-written backward passes. tfjs-core alone registers no gradient functions
 * (the @tensorflow/tfjs package does), and its autodiff could not reuse one generator forward
 * for both the discriminator's and the generator's step anyway: here a forward pass returns
 * what its backward pass needs, and the backward pass can run later, skip parameter gradients
 * (the generator's step only needs D's input gradient) or skip the input gradient.
 *
 * All tensors are NHWC. The ops are chosen per backend (the numbers agree to float rounding):
 * - wasm, and cpu and native TensorFlow alike: reductions over batch and space are average
 *   pools (wasm's Sum over leading axes is ~30× slower), leaky ReLU is prelu, tanh is
 *   2·sigmoid(2x) − 1 (wasm's LeakyRelu and Tanh are scalar loops).
 * - webgpu: those average pools exceed WebGPU's dispatch limits on large batches, and every op
 *   is a dispatch whose fixed cost outweighs a small GAN's arithmetic: reductions and batch norm
 *   run the engine's own kernels (kernels/webgpu), matMul transposes in place, tanh is tanh.
 *
 * Longer than most files on purpose: each layer's forward and backward pass and its per-backend
 * choice of ops stand side by side, where a change to one is checked against the other.
 */

export type Params = Map<string, tf.Variable>;
export type Grads = Record<string, tf.Tensor>;

export type ParamInit = 'normal' | 'gamma' | 'zeros' | 'unit';

export interface ParamSpec {
  name: string;
  shape: number[];
  /**
   * DCGAN initialisation: weights N(0, 0.02²), batch-norm scale N(1, 0.02²), the rest 0; 'unit'
   * a random unit vector (spectral norm's power-iteration state).
   */
  init: ParamInit;
  /**
   * State a layer updates itself as it runs (spectral norm's singular vector), not a weight:
   * no optimizer or EMA touches it, but checkpoints keep it, so a resumed run goes on exactly.
   */
  state?: true;
}

export interface ForwardOptions {
  /**
   * Batch-norm statistics are taken per group of equal consecutive slices of the batch, so
   * real and fake images can share one discriminator pass and still be normalised apart.
   */
  groups: number;
  /**
   * Inference only: batch norm takes its statistics from the first `referenceRows` samples and
   * normalises the whole batch with them, so an image does not depend on what else is in the
   * batch (the sample grid and the latent explorer put a fixed reference batch first).
   */
  referenceRows?: number;
  /**
   * Called by each batch norm in reference mode with its input (the generator's reference
   * statistics for an exported model are read this way, however deep the layer sits).
   */
  onReference?: (layer: BatchNorm, x: tf.Tensor) => void;
}

export interface BackwardOptions {
  paramGrads: boolean;
  inputGrad: boolean;
}

/**
 * Tensors a layer's forward pass keeps for its backward pass. A layer made of layers (a skip
 * connection) also keeps each sub-layer's own in `parts`; the flat list holds every tensor, so
 * releasing it frees them all.
 */
export type Saved = tf.Tensor[] & { parts?: Saved[] };

export interface Layer {
  readonly params: readonly ParamSpec[];
  forward(p: Params, x: tf.Tensor, opts: ForwardOptions, k: Constants): { y: tf.Tensor; saved: Saved };
  backward(
    p: Params,
    dy: tf.Tensor,
    saved: Saved,
    opts: BackwardOptions,
    k: Constants,
    grads: Grads,
  ): tf.Tensor | null;
}

function param(p: Params, name: string): tf.Variable {
  const v = p.get(name);
  if (v === undefined) throw new Error(`Missing parameter ${name}.`);
  return v;
}

/**
 * Small constant tensors reused every step (prelu slopes), created once outside any tidy and
 * freed with the network.
 */
export class Constants {
  private readonly cache = new Map<string, tf.Tensor>();

  fill(size: number, value: number): tf.Tensor1D {
    const key = `${size}:${value}`;
    let t = this.cache.get(key);
    if (t === undefined) {
      t = tf.keep(tf.fill([size], value));
      this.cache.set(key, t);
    }
    return t as tf.Tensor1D;
  }

  dispose(): void {
    for (const t of this.cache.values()) t.dispose();
    this.cache.clear();
  }
}

/**
 * Per-group means over every axis but the last: x [groups·m, …, C] → [groups, C]. On wasm an
 * average pool with one window per group over the rows: that is XNNPACK and ~30× faster than
 * tf.mean over leading axes (a transpose then a reduction), and a ones-row matMul is no better
 * because XNNPACK re-packs its varying right-hand side on every call.
 */
export function groupMeans(x: tf.Tensor, groups: number): tf.Tensor2D {
  if (onWebgpu()) return groupReduce('mean', { a: x }, groups);
  const c = x.shape[x.shape.length - 1] ?? 1;
  const rows = x.size / c / groups;
  const pooled = tf.avgPool(tf.reshape(x, [groups, rows, 1, c]) as tf.Tensor4D, [rows, 1], 1, 'valid');
  return tf.reshape(pooled, [groups, c]);
}

/** Sums over every axis but the last: [.., C] → [C]. */
export function channelSums(x: tf.Tensor): tf.Tensor1D {
  const c = x.shape[x.shape.length - 1] ?? 1;
  if (onWebgpu()) return tf.reshape(groupReduce('sum', { a: x }, 1), [c]);
  return tf.reshape(tf.mul(groupMeans(x, 1), x.size / c), [c]);
}

/** The webgpu kernel behind groupMeans and batch norm's statistics (kernels/webgpu/group-reduce). */
function groupReduce(
  mode: GroupReduceMode,
  inputs: tf.NamedTensorMap,
  groups: number,
  attrs: { scale?: number; eps?: number } = {},
): tf.Tensor2D {
  return tf
    .engine()
    .runKernel(webgpuKernelNames.groupReduce, inputs, { groups, mode, ...attrs }) as tf.Tensor2D;
}

/** dy · f′ from f's output y, in one webgpu dispatch (kernels/webgpu/activation). */
function activationGrad(dy: tf.Tensor, y: tf.Tensor, kind: ActivationGradKind, slope = 0): tf.Tensor {
  return tf.engine().runKernel(webgpuKernelNames.activationGrad, { dy, y }, { kind, slope }) as tf.Tensor;
}

/**
 * A layer's weight as it computes with it: the variable itself, or divided by its spectral norm
 * (spectral.ts) for a spectrally normalised layer, whose power-iteration state `<name>/u` steps
 * on in training and stays put at inference. `saved` is what the gradient then needs (never the
 * variable itself: a tape's tensors are freed after the backward pass).
 */
function weightOf(
  p: Params,
  name: string,
  spectral: boolean,
  opts: ForwardOptions,
): { w: tf.Tensor; saved: Saved } {
  const w = param(p, `${name}/w`);
  if (!spectral) return { w, saved: [] };
  const sn = spectralWeight(w, param(p, `${name}/u`), opts.referenceRows === undefined);
  return { w: sn.normalised, saved: [sn.normalised, ...sn.saved] };
}

/** The weight the forward pass computed with, from what it saved. */
function savedWeight(p: Params, name: string, spectral: Saved): tf.Tensor {
  return spectral[0] ?? param(p, `${name}/w`);
}

/** ∂L/∂w from the gradient with respect to the weight the layer computed with. */
function weightGrad(g: tf.Tensor, spectral: Saved): tf.Tensor {
  if (spectral.length === 0) return g;
  const [normalised, sigma, v, u] = spectral as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  return spectralGrad(g, normalised, [sigma, v, u]);
}

/** The spectral-norm state parameter of a layer whose weight has `out` outputs. */
function spectralState(name: string, out: number): ParamSpec {
  return { name: `${name}/u`, shape: [out], init: 'unit', state: true };
}

export class Dense implements Layer {
  readonly params: ParamSpec[];
  constructor(
    private readonly name: string,
    inFeatures: number,
    outFeatures: number,
    private readonly bias: boolean,
    /** Spectrally normalised (spectral.ts): for a discriminator's layers. */
    private readonly spectral = false,
  ) {
    this.params = [{ name: `${name}/w`, shape: [inFeatures, outFeatures], init: 'normal' }];
    if (bias) this.params.push({ name: `${name}/b`, shape: [outFeatures], init: 'zeros' });
    if (spectral) this.params.push(spectralState(name, outFeatures));
  }

  forward(p: Params, x: tf.Tensor, opts: ForwardOptions): { y: tf.Tensor; saved: Saved } {
    const { w, saved } = weightOf(p, this.name, this.spectral, opts);
    let y: tf.Tensor = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
    if (this.bias) y = tf.add(y, param(p, `${this.name}/b`));
    return { y, saved: [x, ...saved] };
  }

  backward(
    p: Params,
    dy: tf.Tensor,
    [x, ...spectral]: Saved,
    opts: BackwardOptions,
    _k: Constants,
    grads: Grads,
  ): tf.Tensor | null {
    const x2 = x as tf.Tensor2D;
    const dy2 = dy as tf.Tensor2D;
    const w = savedWeight(p, this.name, spectral) as tf.Tensor2D;
    const gpu = onWebgpu();
    if (opts.paramGrads) {
      // On wasm, explicit transposes of the small operand: its matMul with transposeA/B
      // transposes the other way round first and is ~10× slower. WebGPU's reads in place.
      const g = gpu
        ? tf.matMul(x2, dy2, true, false)
        : x2.size <= dy2.size
          ? tf.matMul(tf.transpose(x2), dy2)
          : tf.transpose(tf.matMul(tf.transpose(dy2), x2));
      grads[`${this.name}/w`] = weightGrad(g, spectral);
      if (this.bias) grads[`${this.name}/b`] = channelSums(dy);
    }
    if (!opts.inputGrad) return null;
    return gpu ? tf.matMul(dy2, w, false, true) : tf.matMul(dy2, tf.transpose(w));
  }
}

/** Reshapes each sample (the batch axis is kept). */
export class Reshape implements Layer {
  readonly params: ParamSpec[] = [];
  constructor(
    private readonly inShape: number[],
    readonly outShape: number[],
  ) {}

  forward(_p: Params, x: tf.Tensor): { y: tf.Tensor; saved: Saved } {
    return { y: tf.reshape(x, [x.shape[0] ?? -1, ...this.outShape]), saved: [] };
  }

  backward(_p: Params, dy: tf.Tensor): tf.Tensor {
    return tf.reshape(dy, [dy.shape[0] ?? -1, ...this.inShape]);
  }
}

export class Conv2D implements Layer {
  readonly params: ParamSpec[];
  private readonly filterShape: [number, number, number, number];
  constructor(
    private readonly name: string,
    kernel: number,
    readonly stride: number,
    inChannels: number,
    outChannels: number,
    private readonly bias: boolean,
    /** Spectrally normalised (spectral.ts): for a discriminator's layers. */
    private readonly spectral = false,
  ) {
    this.filterShape = [kernel, kernel, inChannels, outChannels];
    this.params = [{ name: `${name}/w`, shape: this.filterShape, init: 'normal' }];
    if (bias) this.params.push({ name: `${name}/b`, shape: [outChannels], init: 'zeros' });
    if (spectral) this.params.push(spectralState(name, outChannels));
  }

  forward(p: Params, x: tf.Tensor, opts: ForwardOptions): { y: tf.Tensor; saved: Saved } {
    const { w, saved } = weightOf(p, this.name, this.spectral, opts);
    // The fused op hands the bias to the convolution itself (XNNPACK adds it for free).
    const y = tf.fused.conv2d({
      x: x as tf.Tensor4D,
      filter: w as tf.Tensor4D,
      strides: this.stride,
      pad: 'same',
      ...(this.bias ? { bias: param(p, `${this.name}/b`) } : {}),
    });
    return { y, saved: [x, ...saved] };
  }

  backward(
    p: Params,
    dy: tf.Tensor,
    [x, ...spectral]: Saved,
    opts: BackwardOptions,
    _k: Constants,
    grads: Grads,
  ): tf.Tensor | null {
    const input = x as tf.Tensor4D;
    const w = savedWeight(p, this.name, spectral);
    if (opts.paramGrads) {
      const g = tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x: input, dy },
        {
          strides: this.stride,
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape: this.filterShape,
        },
      ) as tf.Tensor;
      grads[`${this.name}/w`] = weightGrad(g, spectral);
      if (this.bias) grads[`${this.name}/b`] = channelSums(dy);
    }
    if (!opts.inputGrad) return null;
    return tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, input.shape, this.stride, 'same');
  }
}

/** Transposed convolution ('same', output = input × stride); filter [k, k, out, in]. */
export class ConvTranspose2D implements Layer {
  readonly params: ParamSpec[];
  private readonly filterShape: [number, number, number, number];
  constructor(
    private readonly name: string,
    kernel: number,
    readonly stride: number,
    inChannels: number,
    private readonly outChannels: number,
    private readonly bias: boolean,
  ) {
    this.filterShape = [kernel, kernel, outChannels, inChannels];
    this.params = [{ name: `${name}/w`, shape: this.filterShape, init: 'normal' }];
    if (bias) this.params.push({ name: `${name}/b`, shape: [outChannels], init: 'zeros' });
  }

  forward(p: Params, x: tf.Tensor): { y: tf.Tensor; saved: Saved } {
    const [n = 1, h = 1, w = 1] = x.shape;
    let y: tf.Tensor = tf.conv2dTranspose(
      x as tf.Tensor4D,
      param(p, `${this.name}/w`) as tf.Tensor4D,
      [n, h * this.stride, w * this.stride, this.outChannels],
      this.stride,
      'same',
    );
    if (this.bias) y = tf.add(y, param(p, `${this.name}/b`));
    return { y, saved: [x] };
  }

  backward(
    p: Params,
    dy: tf.Tensor,
    [x]: Saved,
    opts: BackwardOptions,
    _k: Constants,
    grads: Grads,
  ): tf.Tensor | null {
    if (opts.paramGrads) {
      // A transposed conv is the input gradient of a conv from its output to its input, so its
      // filter gradient is that conv's, with the roles of x and dy swapped.
      grads[`${this.name}/w`] = tf.engine().runKernel(
        'Conv2DBackpropFilter',
        { x: dy, dy: x as tf.Tensor },
        {
          strides: this.stride,
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape: this.filterShape,
        },
      );
      if (this.bias) grads[`${this.name}/b`] = channelSums(dy);
    }
    if (!opts.inputGrad) return null;
    return tf.conv2d(dy as tf.Tensor4D, param(p, `${this.name}/w`) as tf.Tensor4D, this.stride, 'same');
  }
}

/** Batch normalisation with batch statistics (training mode), per group; eps as PyTorch. */
export class BatchNorm implements Layer {
  readonly params: ParamSpec[];
  constructor(
    private readonly name: string,
    channels: number,
    private readonly eps = 1e-5,
  ) {
    this.params = [
      { name: `${name}/gamma`, shape: [channels], init: 'gamma' },
      { name: `${name}/beta`, shape: [channels], init: 'zeros' },
    ];
  }

  forward(
    p: Params,
    x: tf.Tensor,
    { groups, referenceRows, onReference }: ForwardOptions,
  ): { y: tf.Tensor; saved: Saved } {
    const c = x.shape[x.shape.length - 1] ?? 1;
    if (referenceRows !== undefined) {
      onReference?.(this, x);
      return { y: this.referenceForward(p, x, referenceRows, c), saved: [] };
    }
    if (onWebgpu()) return this.fusedForward(p, x, groups);
    const m = x.size / c / groups;
    const mean = groupMeans(x, groups); // [G, C]
    const xc = tf.sub(tf.reshape(x, [groups, m, c]), tf.reshape(mean, [groups, 1, c]));
    const variance = groupMeans(tf.square(xc), groups); // biased, as in training
    const invStd = tf.rsqrt(tf.add(variance, this.eps)); // [G, C]
    const scale = tf.mul(invStd, param(p, `${this.name}/gamma`)); // [G, C]
    const y = tf.add(tf.mul(xc, tf.reshape(scale, [groups, 1, c])), param(p, `${this.name}/beta`));
    return { y: tf.reshape(y, x.shape), saved: [xc, invStd, scale] };
  }

  /**
   * The same on webgpu in two reductions and one dispatch for y; it keeps x and the mean
   * rather than x − mean (the backward kernels centre as they read).
   */
  private fusedForward(p: Params, x: tf.Tensor, groups: number): { y: tf.Tensor; saved: Saved } {
    const mean = groupMeans(x, groups); // [G, C]
    // 1/σ of the biased variance, as in training.
    const invStd = groupReduce('invStd', { a: x, mean }, groups, { eps: this.eps }); // [G, C]
    const y = tf.engine().runKernel(
      webgpuKernelNames.batchNormApply,
      {
        x,
        mean,
        invStd,
        gamma: param(p, `${this.name}/gamma`),
        beta: param(p, `${this.name}/beta`),
      },
      { groups },
    ) as tf.Tensor;
    return { y, saved: [x, mean, invStd] };
  }

  private referenceForward(p: Params, x: tf.Tensor, rows: number, c: number): tf.Tensor {
    const reference = tf.slice(x, 0, rows);
    const mean = groupMeans(reference, 1); // [1, C]
    const variance = groupMeans(tf.square(tf.sub(reference, tf.reshape(mean, [c]))), 1);
    const scale = tf.mul(tf.rsqrt(tf.add(variance, this.eps)), param(p, `${this.name}/gamma`));
    const shift = tf.sub(param(p, `${this.name}/beta`), tf.mul(mean, scale));
    return tf.add(tf.mul(x, tf.reshape(scale, [c])), tf.reshape(shift, [c]));
  }

  backward(
    p: Params,
    dy: tf.Tensor,
    saved: Saved,
    opts: BackwardOptions,
    _k: Constants,
    grads: Grads,
  ): tf.Tensor | null {
    if (onWebgpu()) return this.fusedBackward(p, dy, saved, opts, grads);
    const [xc, invStd, scale] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
    const [groups = 1, m = 1, c = 1] = xc.shape;
    const dy3 = tf.reshape(dy, xc.shape);
    const meanDy = groupMeans(dy3, groups); // [G, C]
    const meanDyXc = groupMeans(tf.mul(dy3, xc), groups); // [G, C]
    if (opts.paramGrads) {
      grads[`${this.name}/gamma`] = tf.mul(tf.sum(tf.mul(meanDyXc, invStd), 0), m);
      grads[`${this.name}/beta`] = tf.mul(tf.sum(meanDy, 0), m);
    }
    if (!opts.inputGrad) return null;
    // dx = γσ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂)) = scale·dy + xc·a + b with per-channel a, b.
    const a = tf.neg(tf.mul(tf.mul(scale, tf.square(invStd)), meanDyXc));
    const b = tf.neg(tf.mul(scale, meanDy));
    const dx = tf.add(
      tf.add(tf.mul(dy3, tf.reshape(scale, [groups, 1, c])), tf.mul(xc, tf.reshape(a, [groups, 1, c]))),
      tf.reshape(b, [groups, 1, c]),
    );
    return tf.reshape(dx, dy.shape);
  }

  /** The backward pass of fusedForward: two reductions and one dispatch for dx. */
  private fusedBackward(
    p: Params,
    dy: tf.Tensor,
    saved: Saved,
    opts: BackwardOptions,
    grads: Grads,
  ): tf.Tensor | null {
    const [x, mean, invStd] = saved as [tf.Tensor, tf.Tensor2D, tf.Tensor2D];
    const groups = mean.shape[0];
    const m = x.size / mean.size;
    const meanDy = groupMeans(dy, groups); // [G, C]
    const meanDyXc = groupReduce('centredProduct', { a: dy, b: x, mean }, groups); // [G, C]
    if (opts.paramGrads) {
      // Sums over the groups of m·mean(dy·x̂) and m·mean(dy): a [G, C] viewed as one group.
      const c = mean.shape[1];
      const overGroups = (mode: 'dot' | 'sum', t: tf.NamedTensorMap) =>
        tf.reshape(groupReduce(mode, t, 1, { scale: m }), [c]);
      grads[`${this.name}/gamma`] = overGroups('dot', { a: meanDyXc, b: invStd });
      grads[`${this.name}/beta`] = overGroups('sum', { a: meanDy });
    }
    if (!opts.inputGrad) return null;
    return tf
      .engine()
      .runKernel(
        webgpuKernelNames.batchNormGrad,
        { dy, x, mean, invStd, gamma: param(p, `${this.name}/gamma`), meanDy, meanDyXc },
        { groups },
      ) as tf.Tensor;
  }
}

export class ReLU implements Layer {
  readonly params: ParamSpec[] = [];
  forward(_p: Params, x: tf.Tensor): { y: tf.Tensor; saved: Saved } {
    const y = tf.relu(x);
    return { y, saved: [y] };
  }
  backward(_p: Params, dy: tf.Tensor, [y]: Saved): tf.Tensor {
    if (onWebgpu()) return activationGrad(dy, y as tf.Tensor, 'step');
    return tf.mul(dy, tf.step(y as tf.Tensor));
  }
}

export class LeakyReLU implements Layer {
  readonly params: ParamSpec[] = [];
  constructor(
    private readonly channels: number,
    readonly slope = 0.2,
  ) {}
  forward(_p: Params, x: tf.Tensor, _o: ForwardOptions, k: Constants): { y: tf.Tensor; saved: Saved } {
    // prelu with a per-channel slope runs in XNNPACK; wasm's LeakyRelu is a scalar loop. On
    // webgpu prelu is a broadcast binary op, several times slower than leakyRelu.
    const y = onWebgpu() ? tf.leakyRelu(x, this.slope) : tf.prelu(x, k.fill(this.channels, this.slope));
    return { y, saved: [y] };
  }
  backward(_p: Params, dy: tf.Tensor, [y]: Saved): tf.Tensor {
    // y has the sign of x, so step(y, slope) is the derivative: 1 where x > 0, slope elsewhere.
    if (onWebgpu()) return activationGrad(dy, y as tf.Tensor, 'step', this.slope);
    return tf.mul(dy, tf.step(y as tf.Tensor, this.slope));
  }
}

export class Tanh implements Layer {
  readonly params: ParamSpec[] = [];
  forward(_p: Params, x: tf.Tensor): { y: tf.Tensor; saved: Saved } {
    const y = onWebgpu() ? tf.tanh(x) : tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
    return { y, saved: [y] };
  }
  backward(_p: Params, dy: tf.Tensor, [y]: Saved): tf.Tensor {
    if (onWebgpu()) return activationGrad(dy, y as tf.Tensor, 'tanh');
    return tf.mul(dy, tf.sub(1, tf.square(y as tf.Tensor)));
  }
}
