import { maxSeed } from '../../../shared/config.js';
import { Rng } from './rng.js';

/**
 * Latent vectors for the explorer, generated sets and exports: a seed's latent, truncation and
 * paths between latents. Pure (no tfjs, no Node), so the worker, tests and the host's bookkeeping
 * agree on what a seed and a path are.
 *
 * The latent prior is N(0, I) and the generator has no mapping network, so the mean latent is 0
 * and truncation toward it is z' = ψ·z (StyleGAN's w' = w̄ + ψ(w − w̄) with w̄ = 0).
 */

/** The latent of a seed: the same vector for the same seed and latent size, everywhere. */
export function seedLatent(seed: number, latentSize: number): Float32Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > maxSeed) {
    throw new Error(`A seed is a whole number from 0 to ${maxSeed}, not ${seed}.`);
  }
  return Rng.seeded(seed, 'latent').normal(new Float32Array(latentSize));
}

/** z scaled by ψ toward the mean latent (0); ψ = 1 leaves it as drawn. */
export function truncate(z: Float32Array, psi: number): Float32Array {
  if (psi === 1) return z;
  return z.map((v) => v * psi);
}

export type InterpolationMode = 'slerp' | 'lerp';

/** (1 − t)·a + t·b. */
export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  // The ends are the latents themselves, not a rounding of them: a path's keyframes must be the
  // seeds' own samples.
  if (t === 0) return a.slice();
  if (t === 1) return b.slice();
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (1 - t) * (a[i] ?? 0) + t * (b[i] ?? 0);
  return out;
}

/**
 * Spherical interpolation (Shoemake; White 2016 for GAN latents): moves along the great circle
 * between the directions of a and b, so a path between two Gaussian latents keeps their typical
 * norm instead of cutting through the low-density middle as lerp does. Falls back to lerp where
 * a and b are (anti)parallel and the circle is undefined.
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  if (t === 0) return a.slice();
  if (t === 1) return b.slice();
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  const cos = Math.min(1, Math.max(-1, dot / (Math.sqrt(na * nb) || 1)));
  const omega = Math.acos(cos);
  const sin = Math.sin(omega);
  if (sin < 1e-6) return lerp(a, b, t);
  const wa = Math.sin((1 - t) * omega) / sin;
  const wb = Math.sin(t * omega) / sin;
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = wa * (a[i] ?? 0) + wb * (b[i] ?? 0);
  return out;
}

export interface PathFrame {
  /** The segment (0 = first seed to second) the frame lies on. */
  segment: number;
  /** Position along that segment, 0 to 1. */
  t: number;
  /** Whether it is one of the seeds themselves. */
  keyframe: boolean;
}

/**
 * The frames of a path through `count` keyframes: `framesPerSegment` per segment (t = 0, 1/F,
 * …, (F − 1)/F), then the last keyframe, so (count − 1)·F + 1 frames starting and ending on a
 * seed.
 */
export function pathFrames(count: number, framesPerSegment: number): PathFrame[] {
  if (count < 1 || !Number.isInteger(framesPerSegment) || framesPerSegment < 1) {
    throw new Error('A path needs at least one keyframe and one frame per segment.');
  }
  const frames: PathFrame[] = [];
  for (let segment = 0; segment < count - 1; segment++) {
    for (let j = 0; j < framesPerSegment; j++) {
      frames.push({ segment, t: j / framesPerSegment, keyframe: j === 0 });
    }
  }
  frames.push({ segment: Math.max(0, count - 2), t: count > 1 ? 1 : 0, keyframe: true });
  return frames;
}

/** Number of frames pathFrames gives, without building them. */
export function pathLength(count: number, framesPerSegment: number): number {
  return (count - 1) * framesPerSegment + 1;
}

export interface PathRequest {
  seeds: readonly number[];
  mode: InterpolationMode;
  framesPerSegment: number;
  truncation: number;
}

/** Every frame's latent, packed [frames · latentSize], with the frames they stand for. */
export function pathLatents(
  request: PathRequest,
  latentSize: number,
): { latents: Float32Array; frames: PathFrame[] } {
  const keys = request.seeds.map((s) => truncate(seedLatent(s, latentSize), request.truncation));
  const frames = pathFrames(keys.length, request.framesPerSegment);
  const mix = request.mode === 'slerp' ? slerp : lerp;
  const latents = new Float32Array(frames.length * latentSize);
  frames.forEach((frame, i) => {
    const a = keys[frame.segment] as Float32Array;
    const b = keys[Math.min(frame.segment + 1, keys.length - 1)] as Float32Array;
    latents.set(mix(a, b, frame.t), i * latentSize);
  });
  return { latents, frames };
}

/** The latents of several seeds, packed [seeds · latentSize], truncated by ψ. */
export function seedLatents(seeds: readonly number[], latentSize: number, psi: number): Float32Array {
  const out = new Float32Array(seeds.length * latentSize);
  seeds.forEach((seed, i) => out.set(truncate(seedLatent(seed, latentSize), psi), i * latentSize));
  return out;
}
