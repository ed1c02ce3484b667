import type { ConfigField, TrainConfig } from '../../shared/config.js';

/** Short forms for the name: the fields people change most, as they would write them. */
const short: Partial<Record<ConfigField, (c: TrainConfig) => string>> = {
  loss: (c) => c.loss,
  lrG: (c) => (c.lrG === c.lrD ? `lr ${c.lrG}` : `lrG ${c.lrG}`),
  lrD: (c) => (c.lrG === c.lrD ? '' : `lrD ${c.lrD}`),
  batchSize: (c) => `batch ${c.batchSize}`,
  width: (c) => `width ${c.width}`,
  latentSize: (c) => `z ${c.latentSize}`,
  diffAugment: (c) => `aug ${c.diffAugment}`,
  emaDecay: (c) => `ema ${c.emaDecay}`,
  seed: (c) => `seed ${c.seed}`,
  steps: (c) => `${c.steps} steps`,
};

/**
 * A default run name that tells runs apart: the dataset, the resolution, up to three settings
 * that differ from the preset it started from, and the run's number on that dataset, e.g.
 * "emoji · 32 px · hinge, lr 0.0001 · #3".
 */
export function defaultRunName(
  datasetName: string,
  config: TrainConfig,
  base: TrainConfig,
  runsOnDataset: number,
): string {
  const changed = (Object.keys(short) as ConfigField[])
    .filter((field) => config[field] !== base[field])
    .map((field) => short[field]!(config))
    .filter((text) => text !== '')
    .filter((text, i, all) => all.indexOf(text) === i)
    .slice(0, 3);
  const parts = [datasetName, `${config.resolution} px`];
  if (changed.length > 0) parts.push(changed.join(', '));
  parts.push(`#${runsOnDataset + 1}`);
  return parts.join(' · ');
}
