import type { ModelFamily } from '../../../../shared/config.js';

/** What a model family needs to build its two networks: the run config's shape fields. */
export interface ModelShape {
  family: ModelFamily;
  resolution: number;
  width: number;
  latentSize: number;
}

/** Number of 2× stages between 4×4 and the resolution (3 at 32 px, 4 at 64, …). */
export function stages(resolution: number): number {
  const n = Math.log2(resolution / 4);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Unsupported resolution ${resolution}.`);
  return n;
}

/**
 * Channels at stage i counted from the image end (0 = next to the image): 64 × width, doubling
 * towards the 4×4 end, at most `cap` × the base (DCGAN doubles without a cap).
 */
export function channels(width: number, i: number, cap = Infinity): number {
  const base = Math.max(1, Math.round(64 * width));
  return base * Math.min(2 ** i, cap);
}
