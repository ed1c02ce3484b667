import type { TrainConfigInput } from '../../shared/config.js';

/**
 * The model the training tests share: small enough that a step takes milliseconds on wasm. Each
 * test adds its own resolution, length, intervals and threads, which are what it is about.
 */
export const tinyModel = {
  batchSize: 4,
  width: 0.125,
  latentSize: 16,
  backend: 'wasm',
} as const satisfies TrainConfigInput;

/** Config fields the CLI takes as a flag and a value (booleans are bare flags, so left out). */
type FlagFields = { [K in keyof TrainConfigInput]?: Extract<TrainConfigInput[K], number | string> };

/** The `gan-studio train` flags that set these config fields: `latentSize: 16` → `--latent-size 16`. */
export function configFlags(config: FlagFields): string[] {
  return Object.entries(config).flatMap(([key, value]) => [
    `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    String(value),
  ]);
}
