import { describe, expect, it } from 'vitest';
import { slicedWassersteinDistance, type ImageSet } from '../../../main/training/engine/swd.js';
import { Rng } from '../../../main/training/engine/rng.js';

/** Images of soft discs of random colour, place and size on a plain background. */
function discs(count: number, size: number, seed: number): ImageSet {
  const rng = Rng.seeded(seed, 'discs');
  const pixels = new Float32Array(count * size * size * 3);
  for (let n = 0; n < count; n++) {
    const cx = rng.float() * size;
    const cy = rng.float() * size;
    const r = size * (0.15 + 0.25 * rng.float());
    const colour = [rng.float() * 2 - 1, rng.float() * 2 - 1, rng.float() * 2 - 1];
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const inside = Math.hypot(x - cx, y - cy) < r;
        for (let c = 0; c < 3; c++)
          pixels[((n * size + y) * size + x) * 3 + c] = inside ? (colour[c] ?? 0) : -0.6;
      }
  }
  return { pixels, count, size };
}

/** The same images with each image's pixels shuffled: same colours, no structure. */
function shuffledPixels(set: ImageSet, seed: number): ImageSet {
  const rng = Rng.seeded(seed, 'shuffle');
  const pixels = new Float32Array(set.pixels);
  const area = set.size * set.size;
  for (let n = 0; n < set.count; n++) {
    for (let i = area - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      for (let c = 0; c < 3; c++) {
        const a = (n * area + i) * 3 + c;
        const b = (n * area + j) * 3 + c;
        const t = pixels[a] ?? 0;
        pixels[a] = pixels[b] ?? 0;
        pixels[b] = t;
      }
    }
  }
  return { ...set, pixels };
}

describe('sliced Wasserstein distance', () => {
  it('is zero between a set and itself', () => {
    const a = discs(16, 32, 1);
    expect(slicedWassersteinDistance(a, a).distance).toBe(0);
  });

  it('is lower against other images like the training images than against shuffled pixels', () => {
    const training = discs(64, 32, 1);
    const similar = discs(64, 32, 2);
    const shuffled = shuffledPixels(similar, 3);
    const near = slicedWassersteinDistance(training, similar);
    const far = slicedWassersteinDistance(training, shuffled);
    // Measured: 72 against 305 (per level 41 and 103 against 367 and 242).
    expect(near.distance).toBeLessThan(far.distance / 2);
    expect(near.levels).toHaveLength(2); // 32 px: one band-pass level and the 16 px base
  });

  it('has one level per octave down to 16 px', () => {
    expect(slicedWassersteinDistance(discs(4, 64, 1), discs(4, 64, 2)).levels).toHaveLength(3);
  });
});
