import * as tf from '@tensorflow/tfjs-core';
import { webgpuKernelNames } from '../kernels/webgpu/names.js';
import { onWebgpu } from './device.js';
import type { Grads, Params } from './layers.js';
import { readValues, type ParamValues } from './network.js';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  /** PyTorch's default; tf.train.adam's is 1e-7, which makes runs differ from the reference. */
  eps?: number;
}

export interface AdamState {
  /** Updates applied so far (bias correction uses it). */
  t: number;
  /** First and second moments by parameter name, under "m/" and "v/". */
  moments: ParamValues;
}

/**
 * Adam with PyTorch's update rule, written out so its whole state (t, m, v) can be saved in a
 * checkpoint and restored exactly:
 *   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²,
 *   p ← p − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε)
 * (computed as p − lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε·√(1 − β2ᵗ)), the same quantity).
 *
 * On webgpu each parameter's m and v live in one tensor [2, …] and an update is two fused
 * kernels (kernels/webgpu/optimizer.ts) instead of a dozen dispatches; elsewhere they are tf ops.
 */
export class Adam {
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  /** m and v stacked, per parameter, on webgpu. */
  private readonly moments = new Map<string, tf.Variable>();
  private readonly fused: boolean;
  private readonly eps: number;

  constructor(
    private readonly params: Params,
    private readonly opts: AdamOptions,
  ) {
    this.eps = opts.eps ?? 1e-8;
    this.fused = onWebgpu();
    for (const [name, p] of params) {
      if (this.fused) {
        this.moments.set(
          name,
          tf.tidy(() => tf.variable(tf.zeros([2, ...p.shape]), false)),
        );
        continue;
      }
      this.m.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
      this.v.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
    }
  }

  get steps(): number {
    return this.t;
  }

  apply(grads: Grads): void {
    this.t++;
    const { lr, beta1, beta2 } = this.opts;
    const c1 = 1 - beta1 ** this.t;
    const c2 = Math.sqrt(1 - beta2 ** this.t);
    const stepSize = (lr * c2) / c1;
    const eps = this.eps * c2;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (g === undefined) throw new Error(`No gradient for ${name}.`);
        if (this.fused) {
          const moments = this.moments.get(name) as tf.Variable;
          moments.assign(
            tf
              .engine()
              .runKernel(webgpuKernelNames.adamMoments, { moments, grad: g }, { beta1, beta2 }) as tf.Tensor,
          );
          p.assign(
            tf
              .engine()
              .runKernel(webgpuKernelNames.adamApply, { param: p, moments }, { stepSize, eps }) as tf.Tensor,
          );
          continue;
        }
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        p.assign(tf.sub(p, tf.mul(tf.div(m, tf.add(tf.sqrt(v), eps)), stepSize)));
      }
    });
  }

  /** The state after every update queued so far (all reads are queued before this yields). */
  async state(): Promise<AdamState> {
    const t = this.t;
    if (this.fused) {
      const stacked = await readValues(this.moments);
      const moments: ParamValues = {};
      for (const [name, { data, shape }] of Object.entries(stacked)) {
        const half = data.length / 2;
        moments[`m/${name}`] = { data: data.slice(0, half), shape: shape.slice(1) };
        moments[`v/${name}`] = { data: data.slice(half), shape: shape.slice(1) };
      }
      return { t, moments };
    }
    const moments = await readValues([
      ...[...this.m].map(([name, value]) => [`m/${name}`, value] as const),
      ...[...this.v].map(([name, value]) => [`v/${name}`, value] as const),
    ]);
    return { t, moments };
  }

  restore(state: AdamState): void {
    const moment = (kind: 'm' | 'v', name: string, size: number): Float32Array => {
      const value = state.moments[`${kind}/${name}`];
      if (value === undefined) throw new Error(`The checkpoint has no optimizer state ${kind}/${name}.`);
      if (value.data.length !== size) throw new Error(`Optimizer state ${kind}/${name} has the wrong size.`);
      return value.data;
    };
    if (this.fused) {
      for (const [name, variable] of this.moments) {
        const half = variable.size / 2;
        const both = new Float32Array(variable.size);
        both.set(moment('m', name, half));
        both.set(moment('v', name, half), half);
        tf.tidy(() => variable.assign(tf.tensor(both, variable.shape)));
      }
    } else {
      for (const [kind, map] of [
        ['m', this.m],
        ['v', this.v],
      ] as const) {
        for (const [name, variable] of map) {
          const data = moment(kind, name, variable.size);
          tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
        }
      }
    }
    this.t = state.t;
  }

  dispose(): void {
    for (const v of [...this.m.values(), ...this.v.values(), ...this.moments.values()]) v.dispose();
    this.m.clear();
    this.v.clear();
    this.moments.clear();
  }
}
