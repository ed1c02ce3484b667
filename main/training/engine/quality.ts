import { fillBatch, type TrainingImages } from './data.js';
import { Rng } from './rng.js';
import { slicedWassersteinDistance, type ImageSet } from './swd.js';

/**
 * What the run's health and quality curves measure, from images alone: the sliced Wasserstein
 * distance of generated to training images (swd.ts), and how different the sample grid's images
 * are from one another compared with training images (a collapsing generator makes them alike).
 */

/** Training images in a fixed random subset, the same for every measurement of a run. */
export function trainingSubset(data: TrainingImages, count: number, seed: number): ImageSet {
  const n = Math.min(count, data.count);
  const rng = Rng.seeded(seed, 'quality-subset');
  const all = Uint32Array.from({ length: data.count }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = all[i] ?? 0;
    all[i] = all[j] ?? 0;
    all[j] = t;
  }
  return { pixels: fillBatch(data, all.subarray(0, n)), count: n, size: data.height };
}

/** Images for the SWD: fewer at higher resolutions, where each costs more patches' worth. */
export function swdImageCount(resolution: number): number {
  return resolution <= 32 ? 256 : resolution <= 64 ? 192 : 128;
}

/**
 * The studio's quality score (the run page's curve, and `bench quality`): the SWD of generated to
 * training images in groups of swdImageCount(size), each group against its own random subset of
 * the training images, averaged. One group is the live curve's point; more groups measure the
 * same quantity with less noise, so the two are on one scale.
 */
export function qualityScore(generated: ImageSet, training: TrainingImages, seed: number): number {
  const group = swdImageCount(generated.size);
  const groups = Math.max(1, Math.floor(generated.count / group));
  const per = generated.size * generated.size * 3;
  let total = 0;
  for (let g = 0; g < groups; g++) {
    const take = Math.min(group, generated.count);
    const part = {
      pixels: generated.pixels.subarray(g * group * per, (g * group + take) * per),
      count: take,
      size: generated.size,
    };
    total += swd(part, trainingSubset(training, group, seed + g));
  }
  return total / groups;
}

export function swd(generated: ImageSet, training: ImageSet): number {
  const count = Math.min(generated.count, training.count);
  const take = (s: ImageSet): ImageSet => ({
    pixels: s.pixels.subarray(0, count * s.size * s.size * 3),
    count,
    size: s.size,
  });
  return slicedWassersteinDistance(take(generated), take(training)).distance;
}

/** Mean L2 distance between all pairs of images of a set (per pixel value, RMS). */
export function meanPairwiseDistance(set: ImageSet): number {
  const size = set.size * set.size * 3;
  let total = 0;
  let pairs = 0;
  for (let a = 0; a < set.count; a++) {
    for (let b = a + 1; b < set.count; b++) {
      let s = 0;
      for (let i = 0; i < size; i++) {
        const d = (set.pixels[a * size + i] ?? 0) - (set.pixels[b * size + i] ?? 0);
        s += d * d;
      }
      total += Math.sqrt(s / size);
      pairs++;
    }
  }
  return pairs === 0 ? 0 : total / pairs;
}

/**
 * How varied the sample grid is, relative to as many training images: near 1 when the grid's
 * images differ as much as real ones do, near 0 when they are (nearly) all the same image.
 */
export function gridDiversity(grid: ImageSet, training: ImageSet): number {
  const reference = meanPairwiseDistance({
    ...training,
    count: Math.min(grid.count, training.count),
  });
  return reference > 0 ? meanPairwiseDistance(grid) / reference : 0;
}
