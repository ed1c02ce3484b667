import * as tf from '@tensorflow/tfjs-core';
import type { Checkpoint } from './checkpoint.js';
import type { Params } from './layers.js';
import { buildGenerator } from './models.js';
import { Network } from './network.js';
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

/** count images [count, H, W, 3] in [−1, 1] for `latents` [count · latentSize]. */
export async function generateImages(
  network: Network,
  params: Params,
  reference: Float32Array,
  latents: Float32Array,
  count: number,
  latentSize: number,
): Promise<Float32Array> {
  const rows = reference.length / latentSize;
  const chunks: Promise<Float32Array>[] = [];
  // Chunks bound memory for long animations; each image depends only on its latent.
  for (let start = 0; start < count; start += referenceBatch) {
    const n = Math.min(referenceBatch, count - start);
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

/** A generator loaded from a checkpoint, with no training state. */
export class Generator {
  readonly resolution: number;
  readonly latentSize: number;
  private readonly network: Network;
  private readonly reference: Float32Array;

  private constructor(checkpoint: Checkpoint, weights: 'ema' | 'g') {
    const { config } = checkpoint.meta;
    this.resolution = config.resolution;
    this.latentSize = config.latentSize;
    const shape = { resolution: config.resolution, width: config.width, latentSize: config.latentSize };
    // The initial values are overwritten at once; the seed only makes construction cheap to reason about.
    this.network = new Network(buildGenerator(shape), Rng.seeded(0, 'unused'));
    this.network.load(checkpoint.tensors, this.network.params, weights === 'ema' ? 'ema/' : '');
    this.reference = referenceLatents(config.seed, config.latentSize);
  }

  /** The EMA generator by default (what the sample grid shows), or the raw one. */
  static fromCheckpoint(checkpoint: Checkpoint, weights: 'ema' | 'g' = 'ema'): Generator {
    return new Generator(checkpoint, weights);
  }

  /** Images [count, H, W, 3] in [−1, 1]; each depends only on its own latent. */
  generate(latents: Float32Array, count: number): Promise<Float32Array> {
    if (latents.length !== count * this.latentSize) {
      throw new Error(`Expected ${count} latents of size ${this.latentSize}.`);
    }
    return generateImages(this.network, this.network.params, this.reference, latents, count, this.latentSize);
  }

  dispose(): void {
    this.network.dispose();
  }
}
