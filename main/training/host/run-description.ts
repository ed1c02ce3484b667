import fs from 'node:fs';
import path from 'node:path';
import { trainConfigSchema, type BackendName, type TrainConfig } from '../../../shared/config.js';
import type { RunEvent, RunStatus } from '../../../shared/types.js';
import type { MetricRow, RunRecord } from '../../store/runs.js';

/**
 * What a run folder says of its run, so a store that was lost or damaged can be rebuilt from the
 * folders (recovery.ts): `run.json` (name, dataset, status, history, config; rewritten as they
 * change) and `metrics.ndjson` (every chart point, appended as the store records them).
 * Checkpoints and sample grids describe themselves by their file names.
 */

export const runDescriptionFile = 'run.json';
export const metricsLogFile = 'metrics.ndjson';

export interface RunDescription {
  format: 'gan-studio-run';
  version: 1;
  id: string;
  name: string;
  tags: string[];
  notes: string;
  createdAt: number;
  status: RunStatus;
  step: number;
  trainSeconds: number;
  backend: BackendName | null;
  config: TrainConfig;
  dataset: { id: string; name: string | null; path: string | null } | null;
  history: RunEvent[];
}

export function describeRun(run: RunRecord, history: RunEvent[]): RunDescription {
  return {
    format: 'gan-studio-run',
    version: 1,
    id: run.id,
    name: run.name,
    tags: run.tags,
    notes: run.notes,
    createdAt: run.createdAt,
    status: run.status,
    step: run.step,
    trainSeconds: run.trainSeconds,
    backend: run.backend,
    config: run.config,
    dataset: run.datasetId ? { id: run.datasetId, name: run.datasetName, path: run.datasetPath } : null,
    history,
  };
}

/** The description in a run folder, or null where there is none or it is unreadable. */
export function readRunDescription(folder: string): RunDescription | null {
  try {
    const found = JSON.parse(
      fs.readFileSync(path.join(folder, runDescriptionFile), 'utf8'),
    ) as RunDescription;
    if (found.format !== 'gan-studio-run' || typeof found.id !== 'string') return null;
    return { ...found, config: trainConfigSchema.parse(found.config) };
  } catch {
    return null;
  }
}

/** One line of metrics.ndjson: a chart point, short keys (a long run writes millions). */
interface LoggedRow {
  s: number;
  t: number;
  v: Record<string, number>;
}

export function metricsLogLines(rows: readonly MetricRow[]): string {
  return rows
    .map((r) => `${JSON.stringify({ s: r.step, t: r.wallTime, v: r.values } satisfies LoggedRow)}\n`)
    .join('');
}

/**
 * The chart points of a run folder up to `maxStep`. A continuation from an earlier checkpoint
 * trains steps again and logs them again: for each step and metric the last line stands.
 */
export function readMetricsLog(folder: string, maxStep: number): MetricRow[] | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(folder, metricsLogFile), 'utf8');
  } catch {
    return null;
  }
  const byStep = new Map<number, MetricRow>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const row = JSON.parse(line) as LoggedRow;
      if (row.s <= maxStep) {
        // Several lines of one step carry different metrics (losses, a grid's diversity).
        const known = byStep.get(row.s);
        byStep.set(row.s, { step: row.s, wallTime: row.t, values: { ...known?.values, ...row.v } });
      }
    } catch {
      // A line cut short by a kill: the rest of the log is still good.
    }
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
