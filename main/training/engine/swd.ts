import { Rng } from './rng.js';

/**
 * Sliced Wasserstein distance between two sets of images, on a Laplacian pyramid, as ProGAN
 * (Karras et al. 2018, §5) reports it: a quality curve that needs no downloaded network. Each
 * pyramid level contributes 7×7 RGB patches from every image; each set's patches are normalised
 * per channel; both sets are projected on the same random unit directions, and for each direction
 * the distance between the two sorted projections is the 1-D Wasserstein distance. The result is
 * the mean over directions and levels, ×10³ as in the paper. Lower is closer.
 *
 * On a small dataset it measures how close the generated images come to the training images,
 * which a generator that copies them also does: closeness, not quality.
 *
 * Plain typed-array code with a seeded RNG: the same inputs give the same number on any backend.
 */

/** Images as float NHWC in [−1, 1] (the generator's range); count × size × size × 3. */
export interface ImageSet {
  pixels: Float32Array;
  count: number;
  size: number;
}

export interface SwdOptions {
  /** Patches taken from each image at each level. */
  patchesPerImage?: number;
  /** Random projection directions. */
  directions?: number;
  /** The coarsest level's size; levels halve from the image size down to it. */
  minSize?: number;
  seed?: number;
}

const patch = 7;
const binomial = [1, 4, 6, 4, 1].map((v) => v / 16);

/** Pixels of an image plane set: count × size × size × 3 floats. */
type Planes = { data: Float32Array; count: number; size: number };

function blurDown(src: Planes): Planes {
  const { count, size } = src;
  const out = size / 2;
  // Separable 5-tap binomial blur, sampled at even positions, reflecting at the edges.
  const rows = new Float32Array(count * size * out * 3);
  const at = (i: number) => (i < 0 ? -i : i >= size ? 2 * size - 2 - i : i);
  for (let n = 0; n < count; n++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < out; x++)
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let k = -2; k <= 2; k++)
            s += (binomial[k + 2] ?? 0) * (src.data[((n * size + y) * size + at(2 * x + k)) * 3 + c] ?? 0);
          rows[((n * size + y) * out + x) * 3 + c] = s;
        }
  const data = new Float32Array(count * out * out * 3);
  for (let n = 0; n < count; n++)
    for (let y = 0; y < out; y++)
      for (let x = 0; x < out; x++)
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let k = -2; k <= 2; k++)
            s += (binomial[k + 2] ?? 0) * (rows[((n * size + at(2 * y + k)) * out + x) * 3 + c] ?? 0);
          data[((n * out + y) * out + x) * 3 + c] = s;
        }
  return { data, count, size: out };
}

/** Nearest-neighbour upsampling ×2 (ProGAN's pyramid upsamples by repetition too). */
function upsample(src: Planes): Float32Array {
  const { count, size } = src;
  const big = size * 2;
  const data = new Float32Array(count * big * big * 3);
  for (let n = 0; n < count; n++)
    for (let y = 0; y < big; y++)
      for (let x = 0; x < big; x++)
        for (let c = 0; c < 3; c++)
          data[((n * big + y) * big + x) * 3 + c] =
            src.data[((n * size + (y >> 1)) * size + (x >> 1)) * 3 + c] ?? 0;
  return data;
}

/** Laplacian pyramid, finest first: band-pass levels, then the coarsest Gaussian level. */
function laplacianPyramid(images: ImageSet, minSize: number): Planes[] {
  const levels: Planes[] = [];
  let current: Planes = { data: images.pixels, count: images.count, size: images.size };
  while (current.size > minSize) {
    const down = blurDown(current);
    const up = upsample(down);
    const band = new Float32Array(current.data.length);
    for (let i = 0; i < band.length; i++) band[i] = (current.data[i] ?? 0) - (up[i] ?? 0);
    levels.push({ data: band, count: current.count, size: current.size });
    current = down;
  }
  levels.push(current);
  return levels;
}

/** Random 7×7×3 patches of a level, each set normalised per channel; rows of 147 floats. */
function descriptors(level: Planes, perImage: number, rng: Rng): Float32Array {
  const { count, size, data } = level;
  const dim = patch * patch * 3;
  const out = new Float32Array(count * perImage * dim);
  const span = size - patch + 1;
  let row = 0;
  for (let n = 0; n < count; n++) {
    for (let p = 0; p < perImage; p++, row++) {
      const top = span > 0 ? rng.int(span) : 0;
      const left = span > 0 ? rng.int(span) : 0;
      let o = row * dim;
      for (let y = 0; y < patch; y++)
        for (let x = 0; x < patch; x++) {
          const yy = Math.min(size - 1, top + y);
          const xx = Math.min(size - 1, left + x);
          const base = ((n * size + yy) * size + xx) * 3;
          for (let c = 0; c < 3; c++) out[o++] = data[base + c] ?? 0;
        }
    }
  }
  // Per-channel normalisation over all patches of the set (ProGAN's finalize_descriptors).
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    let sq = 0;
    let k = 0;
    for (let i = c; i < out.length; i += 3, k++) sum += out[i] ?? 0;
    const mean = sum / k;
    for (let i = c; i < out.length; i += 3) sq += ((out[i] ?? 0) - mean) ** 2;
    const std = Math.sqrt(sq / k) || 1;
    for (let i = c; i < out.length; i += 3) out[i] = ((out[i] ?? 0) - mean) / std;
  }
  return out;
}

/** Mean over random directions of the 1-D Wasserstein distance between projected rows. */
function slicedDistance(a: Float32Array, b: Float32Array, dim: number, directions: number, rng: Rng): number {
  const rowsA = a.length / dim;
  const rowsB = b.length / dim;
  const rows = Math.min(rowsA, rowsB);
  const dir = new Float32Array(dim);
  const pa = new Float32Array(rowsA);
  const pb = new Float32Array(rowsB);
  let total = 0;
  for (let d = 0; d < directions; d++) {
    rng.normal(dir);
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += (dir[i] ?? 0) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let r = 0; r < rowsA; r++) {
      let s = 0;
      for (let i = 0; i < dim; i++) s += (a[r * dim + i] ?? 0) * (dir[i] ?? 0);
      pa[r] = s / norm;
    }
    for (let r = 0; r < rowsB; r++) {
      let s = 0;
      for (let i = 0; i < dim; i++) s += (b[r * dim + i] ?? 0) * (dir[i] ?? 0);
      pb[r] = s / norm;
    }
    pa.sort();
    pb.sort();
    // Equal counts in practice; otherwise compare quantiles.
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const ia = rowsA === rows ? r : Math.floor(((r + 0.5) * rowsA) / rows);
      const ib = rowsB === rows ? r : Math.floor(((r + 0.5) * rowsB) / rows);
      sum += Math.abs((pa[ia] ?? 0) - (pb[ib] ?? 0));
    }
    total += sum / rows;
  }
  return total / directions;
}

/**
 * The SWD between two image sets of the same size, ×10³, averaged over pyramid levels; also per
 * level, finest first.
 */
export function slicedWassersteinDistance(
  a: ImageSet,
  b: ImageSet,
  options: SwdOptions = {},
): { distance: number; levels: number[] } {
  if (a.size !== b.size) throw new Error('Both image sets must have the same size.');
  const { patchesPerImage = 64, directions = 128, minSize = 16, seed = 1 } = options;
  const floor = Math.min(minSize, a.size);
  const levelsA = laplacianPyramid(a, floor);
  const levelsB = laplacianPyramid(b, floor);
  const dim = patch * patch * 3;
  const perLevel = levelsA.map((levelA, i) => {
    const levelB = levelsB[i] as Planes;
    // The same patch positions and directions for both sets, different per level.
    const da = descriptors(levelA, patchesPerImage, Rng.seeded(seed + i, 'swd-patches'));
    const db = descriptors(levelB, patchesPerImage, Rng.seeded(seed + i, 'swd-patches'));
    return slicedDistance(da, db, dim, directions, Rng.seeded(seed + i, 'swd-directions')) * 1e3;
  });
  return { distance: perLevel.reduce((s, v) => s + v, 0) / perLevel.length, levels: perLevel };
}
