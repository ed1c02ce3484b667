import * as tf from '@tensorflow/tfjs-core';
import type { TrainingImages } from '../../training/engine/data.js';
import type { RgbFrames } from './images.js';

/**
 * The memorisation check: for each generated image, the training image nearest to it in pixels
 * (both 8-bit RGB at the run's resolution) and how far it is, as the root-mean-square difference
 * on a 0–1 scale. Small datasets are learnt by heart: a sample at distance ~0 is a training image.
 *
 * The search is one matrix product per chunk of training images (|t|² − 2 t·g ranks the training
 * images for each g), on the worker's backend; the winner's distance is then computed exactly.
 */

/** Training images per chunk: about 64 MB of floats. */
function chunkRows(pixelsPerImage: number): number {
  return Math.max(1, Math.floor((16 * 1024 * 1024) / pixelsPerImage));
}

export interface Nearest {
  index: number;
  distance: number;
}

export async function nearestTrainingImages(
  generated: RgbFrames,
  training: TrainingImages,
): Promise<Nearest[]> {
  const d = generated.width * generated.height * 3;
  if (training.width !== generated.width || training.height !== generated.height) {
    throw new Error(
      `The training cache is ${training.width}×${training.height} px but the generator makes ${generated.width}×${generated.height} px images.`,
    );
  }
  if (training.count === 0) throw new Error('The dataset has no training images to compare with.');
  const k = generated.count;
  const g = Float32Array.from(generated.rgb, (v) => v / 255);
  const gT = tf.tidy(() => tf.transpose(tf.tensor2d(g, [k, d])));
  const best = new Float64Array(k).fill(Infinity);
  const bestIndex = new Int32Array(k).fill(-1);
  try {
    const rows = chunkRows(d);
    for (let start = 0; start < training.count; start += rows) {
      const m = Math.min(rows, training.count - start);
      const chunk = Float32Array.from(training.pixels.subarray(start * d, (start + m) * d), (v) => v / 255);
      // |t − g|² = |t|² − 2 t·g + |g|²; the last term is the same for every t of one g.
      const scores = tf.tidy(() => {
        const t = tf.tensor2d(chunk, [m, d]);
        return tf.sub(tf.sum(tf.square(t), 1, true), tf.mul(tf.matMul(t, gT), 2));
      });
      const values = await scores.data<'float32'>();
      scores.dispose();
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < k; c++) {
          const v = values[r * k + c] ?? Infinity;
          if (v < (best[c] ?? Infinity)) {
            best[c] = v;
            bestIndex[c] = start + r;
          }
        }
      }
    }
  } finally {
    gT.dispose();
  }
  return Array.from(bestIndex, (index, c) => {
    let sum = 0;
    for (let i = 0; i < d; i++) {
      const diff = (generated.rgb[c * d + i] ?? 0) - (training.pixels[index * d + i] ?? 0);
      sum += diff * diff;
    }
    return { index, distance: Math.sqrt(sum / d) / 255 };
  });
}
