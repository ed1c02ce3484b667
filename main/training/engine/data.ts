import { Rng, type RngState } from './rng.js';

/** The training images: uint8 RGB, N×H×W×3, packed in one array (the dataset cache's layout). */
export interface TrainingImages {
  pixels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

/**
 * `count` RGB images of noise, size × size, as a training cache holds them: for timing a model
 * (calibration, benchmarks) and for tests, where what the images show does not matter. The same
 * for the same seed everywhere (a linear congruential sequence, no Node, no tfjs).
 */
export function noiseImages(count: number, size: number, seed = 12345): TrainingImages {
  const pixels = new Uint8Array(count * size * size * 3);
  let s = seed >>> 0;
  for (let i = 0; i < pixels.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    pixels[i] = s >>> 24;
  }
  return { pixels, count, height: size, width: size };
}

/**
 * Where the sampler is: the RNG as it was when the current epoch's order was drawn, and how far
 * into that order it has read. Restoring redraws the same order, so data order survives resume.
 */
export interface DataOrderState {
  /** Images the order was drawn over; another count cannot replay it. */
  count: number;
  epoch: number;
  position: number;
  epochRng: RngState;
}

/** Epoch-wise shuffled batches of image indices; batches run across epoch boundaries. */
export class DataOrder {
  private order: Uint32Array;
  private epochRng: RngState;

  private constructor(
    private readonly count: number,
    private readonly rng: Rng,
    private epoch: number,
    private position: number,
  ) {
    this.epochRng = rng.state();
    this.order = this.draw();
  }

  static start(count: number, seed: number): DataOrder {
    if (count < 1) throw new Error('The dataset has no images.');
    return new DataOrder(count, Rng.seeded(seed, 'data'), 0, 0);
  }

  static restore(count: number, state: DataOrderState): DataOrder {
    if (state.count !== count) throw new Error('The data order was drawn over another number of images.');
    return new DataOrder(count, Rng.fromState(state.epochRng), state.epoch, state.position);
  }

  private draw(): Uint32Array {
    const order = new Uint32Array(this.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    return this.rng.shuffle(order);
  }

  next(batchSize: number): Uint32Array {
    const out = new Uint32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      if (this.position >= this.count) {
        this.epoch++;
        this.position = 0;
        this.epochRng = this.rng.state();
        this.order = this.draw();
      }
      out[i] = this.order[this.position++] ?? 0;
    }
    return out;
  }

  state(): DataOrderState {
    return { count: this.count, epoch: this.epoch, position: this.position, epochRng: this.epochRng };
  }
}

/**
 * Gathers images into a float batch scaled to [-1, 1] (the generator's tanh range), mirroring
 * those whose `flips` entry is non-zero (random horizontal flip, drawn by the caller).
 */
export function fillBatch(
  data: TrainingImages,
  indices: Uint32Array,
  out?: Float32Array,
  flips?: Uint8Array,
): Float32Array {
  const { height: h, width: w } = data;
  const size = h * w * 3;
  const batch = out ?? new Float32Array(indices.length * size);
  for (let b = 0; b < indices.length; b++) {
    const src = (indices[b] ?? 0) * size;
    const dst = b * size;
    if (flips?.[b]) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const s = src + (y * w + (w - 1 - x)) * 3;
          const d = dst + (y * w + x) * 3;
          for (let c = 0; c < 3; c++) batch[d + c] = (data.pixels[s + c] ?? 0) / 127.5 - 1;
        }
      }
    } else {
      for (let i = 0; i < size; i++) batch[dst + i] = (data.pixels[src + i] ?? 0) / 127.5 - 1;
    }
  }
  return batch;
}
