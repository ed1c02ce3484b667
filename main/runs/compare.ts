import { configFieldLabels, configFields, type TrainConfig } from '../../shared/config.js';
import type { ConfigRow, ConfigValue } from '../../shared/types.js';

function same(a: ConfigValue, b: ConfigValue): boolean {
  return Array.isArray(a) || Array.isArray(b) ? JSON.stringify(a) === JSON.stringify(b) : a === b;
}

/** Every config field of the runs side by side, those with any differing value marked. */
export function configRows(configs: readonly TrainConfig[]): ConfigRow[] {
  return configFields.map((field) => {
    const values = configs.map((c) => c[field]);
    return {
      field,
      label: configFieldLabels[field],
      values,
      differs: values.some((v) => !same(v, values[0]!)),
    };
  });
}

/** The ascending union of the runs' sample steps, for one shared step slider. */
export function unionOfSteps(lists: readonly (readonly { step: number }[])[]): number[] {
  return [...new Set(lists.flatMap((list) => list.map((s) => s.step)))].sort((a, b) => a - b);
}
