import type { TrainConfig } from './config.js';

/** The fields of a run's config that decide its networks' size. */
export type ModelSize = Pick<TrainConfig, 'model' | 'resolution' | 'width' | 'latentSize'>;

/**
 * Trainable parameters of the generator and the discriminator, counted as the engine's model
 * families build them (main/training/engine/models/; test/common/disk-space.test.ts checks the two
 * agree for every family, resolution and some widths). Worked out here rather than by building
 * the model: the main process and the UI do not load the engine.
 */
export function modelParams({ model, resolution, width, latentSize }: ModelSize): {
  generator: number;
  discriminator: number;
} {
  const n = Math.max(1, Math.round(Math.log2(resolution / 4)));
  const base = Math.max(1, Math.round(64 * width));
  // Channels at stage i from the image end; FastGAN-lite caps them at 8 × the base.
  const ch = (i: number) => base * (model === 'fastgan' ? Math.min(2 ** i, 8) : 2 ** i);
  if (model === 'fastgan') return fastganParams(n, ch, latentSize);
  const top = ch(n - 1);
  // Dense (with bias) and its batch norm; each 4×4 transposed conv and batch norm; then to RGB.
  let generator = latentSize * 16 * top + 16 * top + 2 * top;
  // The first conv (with bias, no batch norm); each conv and batch norm; then the logit.
  let discriminator = 16 * 3 * ch(0) + ch(0) + 16 * top + 1;
  for (let i = 1; i < n; i++) {
    generator += 16 * ch(i) * ch(i - 1) + 2 * ch(i - 1);
    discriminator += 16 * ch(i - 1) * ch(i) + 2 * ch(i);
  }
  generator += 16 * ch(0) * 3 + 3;
  return { generator, discriminator };
}

function fastganParams(
  n: number,
  ch: (i: number) => number,
  latentSize: number,
): { generator: number; discriminator: number } {
  const at = (side: number) => ch(n - Math.log2(side / 4));
  const resolution = 4 * 2 ** n;
  // Dense (no bias) to 4×4 and its batch norm; each up block's 3×3 conv and batch norm; to RGB.
  let generator = latentSize * 16 * ch(n) + 2 * ch(n) + 9 * ch(0) * 3 + 3;
  for (let side = 8; side <= resolution; side *= 2) generator += 9 * at(side / 2) * at(side) + 2 * at(side);
  // Skip-layer excitation from side a to side b, nested while b is at least four times a.
  for (let a = 4, b = resolution; b / a >= 4; a *= 2, b /= 2) {
    generator += 16 * at(a) * at(b) + at(b) + at(b) * at(b) + at(b);
  }
  // Strided 4×4 convs with biases (spectral norm's state is no parameter), then the logit.
  let discriminator = 16 * 3 * ch(0) + ch(0) + 16 * ch(n - 1) + 1;
  for (let i = 1; i < n; i++) discriminator += 16 * ch(i - 1) * ch(i) + ch(i);
  return { generator, discriminator };
}
