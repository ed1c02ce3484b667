import * as tf from '@tensorflow/tfjs-core';
import type { Checkpoint } from './checkpoint.js';
import { groupMeans, type Params } from './layers.js';
import { buildGenerator, modelShape, type ModelShape } from './models.js';
import { Network, type ParamValues } from './network.js';
import { Rng } from './rng.js';

/**
 * Images from a generator, for the sample grid and the latent explorer.
 *
 * The networks use batch norm, which in training normalises with the statistics of the batch.
 * For pictures that must not depend on their neighbours (an interpolation strip, a grid), a fixed
 * reference batch of latents drawn from the run's seed goes first, and every layer normalises
 * with the statistics of that reference (see BatchNorm's `referenceRows`).
 */

/** Size of the reference batch; the sample grid shows its first config.sampleCount images. */
export const referenceBatch = 64;

/** The run's fixed latents: the sample grid's, and the reference for batch-norm statistics. */
export function referenceLatents(seed: number, latentSize: number): Float32Array {
  return Rng.seeded(seed, 'samples').normal(new Float32Array(referenceBatch * latentSize));
}

/**
 * count images [count, H, W, 3] in [−1, 1] for `latents` [count · latentSize], `chunk` at a time
 * behind the reference batch.
 */
export async function generateImages(
  network: Network,
  params: Params,
  reference: Float32Array,
  latents: Float32Array,
  count: number,
  latentSize: number,
  chunk = referenceBatch,
): Promise<Float32Array> {
  const rows = reference.length / latentSize;
  const chunks: Promise<Float32Array>[] = [];
  // Chunks bound memory for long animations; each image depends only on its latent.
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const batch = new Float32Array((rows + n) * latentSize);
    batch.set(reference);
    batch.set(latents.subarray(start * latentSize, (start + n) * latentSize), reference.length);
    const images = tf.tidy(() => {
      const all = network.infer(tf.tensor2d(batch, [rows + n, latentSize]), params, rows);
      return tf.slice(all, rows, n);
    });
    // Every chunk is queued before the first read returns, so a GPU never waits on the CPU here.
    chunks.push(images.data<'float32'>().finally(() => images.dispose()));
  }
  const parts = await Promise.all(chunks);
  if (parts.length === 1) return parts[0] as Float32Array;
  const out = new Float32Array(parts.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of parts) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Batch-norm statistics of one layer: per-channel mean and biased variance. */
export interface NormStatistics {
  mean: Float32Array;
  variance: Float32Array;
}

/** A generator loaded from a checkpoint, with no training state. */
export class Generator {
  readonly resolution: number;
  readonly latentSize: number;
  /** The architecture, as buildGenerator takes it. */
  readonly shape: ModelShape;
  private readonly network: Network;
  private readonly reference: Float32Array;

  private constructor(checkpoint: Checkpoint, weights: 'ema' | 'g') {
    const { config } = checkpoint.meta;
    this.resolution = config.resolution;
    this.latentSize = config.latentSize;
    const shape = modelShape(config);
    this.shape = shape;
    // The initial values are overwritten at once; the seed only makes construction cheap to reason about.
    this.network = new Network(buildGenerator(shape), Rng.seeded(0, 'unused'));
    this.network.load(checkpoint.tensors, this.network.params, weights === 'ema' ? 'ema/' : '');
    this.reference = referenceLatents(config.seed, config.latentSize);
  }

  /** The EMA generator by default (what the sample grid shows), or the raw one. */
  static fromCheckpoint(checkpoint: Checkpoint, weights: 'ema' | 'g' = 'ema'): Generator {
    return new Generator(checkpoint, weights);
  }

  /**
   * Images [count, H, W, 3] in [−1, 1]; each depends only on its own latent. `chunk` images go
   * through the network at a time behind the reference batch: larger chunks spend less of the
   * work on the reference and more memory.
   */
  generate(latents: Float32Array, count: number, chunk = referenceBatch): Promise<Float32Array> {
    if (latents.length !== count * this.latentSize) {
      throw new Error(`Expected ${count} latents of size ${this.latentSize}.`);
    }
    if (!Number.isInteger(chunk) || chunk < 1) throw new Error('A chunk is at least one image.');
    return generateImages(
      this.network,
      this.network.params,
      this.reference,
      latents,
      count,
      this.latentSize,
      chunk,
    );
  }

  /** The parameters, by engine name (g/dense/w, g/bn0/gamma, …). */
  weights(): Promise<ParamValues> {
    return this.network.values();
  }

  /**
   * The statistics every batch-norm layer normalises with at inference: those of the reference
   * batch at that layer's input (see BatchNorm `referenceRows`), keyed by the layer's parameter
   * prefix (g/bn0, …). With them a batch norm is a fixed per-channel affine map, which is how a
   * model exported for inference reproduces this generator's images for any latent.
   */
  async referenceStatistics(): Promise<Record<string, NormStatistics>> {
    const rows = this.reference.length / this.latentSize;
    const found: { name: string; mean: tf.Tensor; variance: tf.Tensor }[] = [];
    try {
      const images = tf.tidy(() =>
        this.network.infer(
          tf.tensor2d(this.reference, [rows, this.latentSize]),
          this.network.params,
          rows,
          (layer, h) =>
            tf.tidy(() => {
              const prefix = (layer.params[0]?.name ?? '').replace(/\/gamma$/, '');
              const c = h.shape[h.shape.length - 1] ?? 1;
              // Biased variance over batch and space, computed as BatchNorm's reference statistics
              // are (groupMeans picks the ops that fit the backend; tf.moments exceeds WebGPU's
              // dispatch limits on large layers).
              const mean = tf.reshape(groupMeans(h, 1), [c]);
              const variance = tf.reshape(groupMeans(tf.square(tf.sub(h, mean)), 1), [c]);
              found.push({ name: prefix, mean: tf.keep(mean), variance: tf.keep(variance) });
            }),
        ),
      );
      images.dispose();
      const values = await Promise.all(
        found.flatMap(({ mean, variance }) => [mean.data<'float32'>(), variance.data<'float32'>()]),
      );
      const out: Record<string, NormStatistics> = {};
      found.forEach(({ name }, i) => {
        out[name] = {
          mean: (values[2 * i] as Float32Array).slice(),
          variance: (values[2 * i + 1] as Float32Array).slice(),
        };
      });
      return out;
    } finally {
      for (const { mean, variance } of found) {
        mean.dispose();
        variance.dispose();
      }
    }
  }

  dispose(): void {
    this.network.dispose();
  }
}
