/**
 * Seeded pseudo-random numbers whose whole state is four 32-bit words (xoshiro128**), so a
 * checkpoint can store it and a resumed run draws exactly the numbers it would have drawn.
 * Everything random in training (latents, batch order, augmentation, initial weights) comes
 * from here rather than from tfjs, which also makes runs identical across backends.
 */

export type RngState = [number, number, number, number];

/** splitmix32: spreads a seed and a stream name into well-mixed starting words. */
function splitmix(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h;
}

export class Rng {
  private readonly s = new Uint32Array(4);

  private constructor(state: readonly number[]) {
    this.s.set(state.map((v) => v >>> 0));
    if (this.s.every((v) => v === 0)) this.s[0] = 1; // the all-zero state never leaves zero
  }

  /** An independent stream per (seed, name): 'noise', 'data', 'augment', 'init', … */
  static seeded(seed: number, stream: string): Rng {
    const next = splitmix((seed ^ hashString(stream)) >>> 0);
    return new Rng([next(), next(), next(), next()]);
  }

  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || state.some((v) => !Number.isInteger(v))) {
      throw new Error('An RNG state is four integers.');
    }
    return new Rng(state);
  }

  state(): RngState {
    return [this.s[0] ?? 0, this.s[1] ?? 0, this.s[2] ?? 0, this.s[3] ?? 0];
  }

  nextU32(): number {
    const s = this.s;
    const s0 = s[0] ?? 0;
    const s1 = s[1] ?? 0;
    const s2 = s[2] ?? 0;
    const s3 = s[3] ?? 0;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const n2 = (s2 ^ s0) >>> 0;
    const n3 = (s3 ^ s1) >>> 0;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), n ≤ 2^32, without modulo bias. */
  int(n: number): number {
    if (n <= 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const v = this.nextU32();
      if (v < limit) return v % n;
    }
  }

  /** Uniform integer in [lo, hi] inclusive. */
  intBetween(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** Fills `out` with N(mean, std²) samples (Box–Muller; both values of each pair are used). */
  normal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i += 2) {
      const u = 1 - this.float(); // (0, 1]: log(u) is finite
      const v = this.float();
      const r = Math.sqrt(-2 * Math.log(u)) * std;
      out[i] = mean + r * Math.cos(2 * Math.PI * v);
      if (i + 1 < out.length) out[i + 1] = mean + r * Math.sin(2 * Math.PI * v);
    }
    return out;
  }

  /** Fisher–Yates in place. */
  shuffle(values: Uint32Array): Uint32Array {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = values[i] ?? 0;
      values[i] = values[j] ?? 0;
      values[j] = tmp;
    }
    return values;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
