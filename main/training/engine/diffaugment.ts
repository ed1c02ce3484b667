import * as tf from '@tensorflow/tfjs-core';
import { onWebgpu } from './device.js';
import { groupMeans } from './layers.js';
import { tidy } from './tidy.js';
import type { Rng } from './rng.js';

/**
 * DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN
 * Training"): the same random, differentiable augmentation is applied to real and fake images
 * before D sees them, so D cannot simply memorise a small dataset. Policies as in the paper's
 * reference code, always in its order colour → translation → cutout:
 * - colour: per image, brightness + U(−0.5, 0.5), saturation × U(0, 2), contrast × U(0.5, 1.5);
 * - translation: shift by up to 1/8 of the size, filling with zeros;
 * - cutout: zero a square of half the size at a random centre.
 * The parameters come from the seeded RNG, so a resumed run augments identically. Translation
 * and cutout only move or drop pixels, so together they are one gather, and their gradient is
 * the gather by the inverse map.
 */

export type AugmentOp = 'translation' | 'color' | 'cutout';

export interface AugmentTape {
  /** Per-image saturation and contrast factors [N, 1, 1, 1], when colour was applied. */
  color: { saturation: tf.Tensor4D; contrast: tf.Tensor4D } | null;
  /** For each source pixel, the output pixel it went to (N·H·W = dropped), when moved. */
  inverse: Int32Array | null;
}

const translationRatio = 0.125;
const cutoutRatio = 0.5;

function perImage(n: number, draw: () => number): tf.Tensor4D {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = draw();
  return tf.tensor4d(values, [n, 1, 1, 1]);
}

/** Forward and inverse pixel maps for translation and cutout, drawn from the RNG. */
function pixelMaps(
  rng: Rng,
  [n, h, w]: [number, number, number],
  translate: boolean,
  cutout: boolean,
): { forward: Int32Array; inverse: Int32Array } {
  const pixels = n * h * w;
  const shiftH = Math.floor(h * translationRatio + 0.5);
  const shiftW = Math.floor(w * translationRatio + 0.5);
  const ty = new Int32Array(n);
  const tx = new Int32Array(n);
  if (translate) {
    for (let b = 0; b < n; b++) ty[b] = rng.intBetween(-shiftH, shiftH);
    for (let b = 0; b < n; b++) tx[b] = rng.intBetween(-shiftW, shiftW);
  }
  const cutH = Math.floor(h * cutoutRatio + 0.5);
  const cutW = Math.floor(w * cutoutRatio + 0.5);
  const oy = new Int32Array(n);
  const ox = new Int32Array(n);
  if (cutout) {
    for (let b = 0; b < n; b++) oy[b] = rng.int(h + (1 - (cutH % 2)));
    for (let b = 0; b < n; b++) ox[b] = rng.int(w + (1 - (cutW % 2)));
  }
  const forward = new Int32Array(pixels).fill(pixels);
  const inverse = new Int32Array(pixels).fill(pixels);
  for (let b = 0; b < n; b++) {
    const cutTop = (oy[b] ?? 0) - Math.floor(cutH / 2);
    const cutLeft = (ox[b] ?? 0) - Math.floor(cutW / 2);
    for (let i = 0; i < h; i++) {
      const si = i + (ty[b] ?? 0);
      if (si < 0 || si >= h) continue;
      const rowCut = cutout && i >= cutTop && i < cutTop + cutH;
      for (let j = 0; j < w; j++) {
        const sj = j + (tx[b] ?? 0);
        if (sj < 0 || sj >= w) continue;
        if (rowCut && j >= cutLeft && j < cutLeft + cutW) continue;
        const dst = (b * h + i) * w + j;
        const src = (b * h + si) * w + sj;
        forward[dst] = src;
        inverse[src] = dst;
      }
    }
  }
  return { forward, inverse };
}

/** Backends whose tensors live in CPU memory, where reading them back costs only a copy. */
const cpuResident = new Set(['wasm', 'cpu', 'tensorflow']);

/**
 * Gathers whole pixels of x [N, H, W, C] by a map into N·H·W + 1 rows, the last one zeros. On
 * CPU-resident backends this is a JS loop over a copy (wasm's GatherV2 takes ~8 ms for a batch of
 * 32 px images, the loop well under one): there the data never leaves the device, which is the
 * CPU. On GPU backends it stays on the GPU as a tf.gather, with no read-back.
 */
function gatherPixels(x: tf.Tensor4D, map: Int32Array): tf.Tensor4D {
  const [n = 1, h = 1, w = 1, c = 1] = x.shape;
  if (!cpuResident.has(tf.getBackend())) {
    return tidy(() => {
      const padded = tf.concat([tf.reshape(x, [n * h * w, c]), tf.zeros([1, c])], 0);
      return tf.reshape(tf.gather(padded, tf.tensor1d(map, 'int32')), x.shape) as tf.Tensor4D;
    });
  }
  const src = x.dataSync() as Float32Array;
  const out = new Float32Array(src.length);
  const dropped = n * h * w;
  for (let i = 0; i < map.length; i++) {
    const from = map[i] ?? dropped;
    if (from === dropped) continue; // stays zero
    for (let k = 0; k < c; k++) out[i * c + k] = src[from * c + k] ?? 0;
  }
  return tf.tensor4d(out, [n, h, w, c]);
}

/**
 * Means of x [N, H, W, C] over its channels ('pixel', [N, H, W, 1]) or over each whole image
 * ('image', [N, 1, 1, 1]). On webgpu tf.mean spends a workgroup per output on a 3-value
 * reduction; the engine's group reduction sums consecutive blocks in one flat dispatch.
 */
function meanOver(x: tf.Tensor4D, over: 'pixel' | 'image'): tf.Tensor4D {
  const [n = 1, h = 1, w = 1] = x.shape;
  if (!onWebgpu()) return tf.mean(x, over === 'pixel' ? 3 : [1, 2, 3], true);
  const blocks = over === 'pixel' ? n * h * w : n;
  const means = groupMeans(tf.reshape(x, [x.size, 1]), blocks);
  return tf.reshape(means, over === 'pixel' ? [n, h, w, 1] : [n, 1, 1, 1]);
}

export function diffAugment(
  x: tf.Tensor4D,
  policy: readonly AugmentOp[],
  rng: Rng,
): { y: tf.Tensor4D; tape: AugmentTape } {
  return tidy(() => {
    const [n = 1, h = 1, w = 1] = x.shape;
    let y = x;
    let color: AugmentTape['color'] = null;
    if (policy.includes('color')) {
      const brightness = perImage(n, () => rng.float() - 0.5);
      const saturation = perImage(n, () => rng.float() * 2);
      const contrast = perImage(n, () => rng.float() + 0.5);
      y = tf.add(y, brightness);
      const pixelMean = meanOver(y, 'pixel');
      y = tf.add(tf.mul(y, saturation), tf.mul(pixelMean, tf.sub(1, saturation)));
      const imageMean = meanOver(y, 'image');
      y = tf.add(tf.mul(y, contrast), tf.mul(imageMean, tf.sub(1, contrast)));
      color = { saturation, contrast };
    }
    let inverse: Int32Array | null = null;
    const translate = policy.includes('translation');
    const cutout = policy.includes('cutout');
    if (translate || cutout) {
      const maps = pixelMaps(rng, [n, h, w], translate, cutout);
      y = gatherPixels(y, maps.forward);
      inverse = maps.inverse;
    }
    return { y, tape: { color, inverse } };
  });
}

export function diffAugmentBackward(dy: tf.Tensor4D, tape: AugmentTape): tf.Tensor4D {
  return tidy(() => {
    let d = dy;
    if (tape.inverse !== null) d = gatherPixels(d, tape.inverse);
    if (tape.color !== null) {
      const { saturation, contrast } = tape.color;
      // y = c·x + (1 − c)·mean(x) ⇒ dx = c·dy + (1 − c)·mean(dy), over the image, then per pixel.
      d = tf.add(tf.mul(d, contrast), tf.mul(meanOver(d, 'image'), tf.sub(1, contrast)));
      d = tf.add(tf.mul(d, saturation), tf.mul(meanOver(d, 'pixel'), tf.sub(1, saturation)));
    }
    return d;
  });
}

export function releaseAugmentTape(tape: AugmentTape): void {
  tape.color?.saturation.dispose();
  tape.color?.contrast.dispose();
}
