import type { RunEvent } from './types.js';

/**
 * The part of a 'continued' entry that says which damaged checkpoints were set aside and why,
 * in the same words on the run page and in `gan-studio runs show` (empty when there were none).
 */
export function setAsideText(e: RunEvent): string {
  const damaged = e.damagedCheckpoints ?? [];
  if (damaged.length === 0) return '';
  const list = damaged.map((d) => `step ${d.step} (${d.reason}; kept as ${d.file})`).join(', ');
  return `; set aside damaged checkpoints: ${list}`;
}
