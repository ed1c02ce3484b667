import { maxSeed } from '../../../shared/config.js';

/** A random seed: what "Random" picks. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % (maxSeed + 1);
}

/**
 * Seeds typed by a user: "1, 2, 3" or "1 2 3". Returns the seeds, or a sentence saying what is
 * wrong with the text.
 */
export function parseSeeds(text: string): number[] | string {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) return 'Type one or more seeds, like 1, 2, 3.';
  const seeds = parts.map(Number);
  const bad = parts.find((_, i) => !Number.isInteger(seeds[i]) || seeds[i]! < 0 || seeds[i]! > maxSeed);
  if (bad !== undefined) return `"${bad}" is not a seed: seeds are whole numbers from 0 to ${maxSeed}.`;
  return seeds;
}
