import * as tf from '@tensorflow/tfjs-core';
import { webgpuKernelNames } from '../kernels/webgpu/names.js';
import { onWebgpu } from './device.js';
import type { Params } from './layers.js';

/**
 * Exponential moving average of the generator's parameters, used for samples and the latent
 * explorer: it averages out the step-to-step wobble of GAN training.
 *
 * The decay ramps up as min(decay, (1 + t)/(10 + t)) so that early samples are not dominated by
 * the random initial weights (with 0.999 they would be for the first thousand steps).
 */
export class Ema {
  readonly params: Params = new Map();
  private t = 0;

  constructor(
    private readonly source: Params,
    private readonly decay: number,
  ) {
    for (const [name, p] of source)
      this.params.set(
        name,
        tf.tidy(() => tf.variable(tf.clone(p), false)),
      );
  }

  get updates(): number {
    return this.t;
  }

  set updates(t: number) {
    this.t = t;
  }

  update(): void {
    const d = Math.min(this.decay, (1 + this.t) / (10 + this.t));
    this.t++;
    const fused = onWebgpu();
    tf.tidy(() => {
      for (const [name, avg] of this.params) {
        const p = this.source.get(name) as tf.Variable;
        // One dispatch on webgpu (kernels/webgpu/optimizer.ts) instead of three.
        avg.assign(
          fused
            ? (tf.engine().runKernel(webgpuKernelNames.lerp, { a: avg, b: p }, { t: 1 - d }) as tf.Tensor)
            : tf.add(avg, tf.mul(tf.sub(p, avg), 1 - d)),
        );
      }
    });
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
