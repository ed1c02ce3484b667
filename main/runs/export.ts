import type { RunSummary } from '../../shared/types.js';

/** One run's series for a file: per metric, its steps, training seconds, values and wall times. */
export interface ExportSeries {
  run: RunSummary;
  metrics: Record<string, { step: number[]; seconds: number[]; wall: number[]; value: number[] }>;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Wide CSV: one line per run and step, a column per metric (empty where that metric has no
 * value at that step), with the run's id and name first so several runs fit in one sheet.
 */
export function toCsv(series: readonly ExportSeries[]): string {
  const names = [...new Set(series.flatMap((s) => Object.keys(s.metrics)))].sort();
  const lines = [['run_id', 'run_name', 'step', 'seconds', 'wall_time', ...names].join(',')];
  for (const { run, metrics } of series) {
    const rows = new Map<number, { seconds: number; wall: number; values: Map<string, number> }>();
    for (const [name, m] of Object.entries(metrics)) {
      m.step.forEach((step, i) => {
        let row = rows.get(step);
        if (!row) rows.set(step, (row = { seconds: m.seconds[i]!, wall: m.wall[i]!, values: new Map() }));
        row.values.set(name, m.value[i]!);
      });
    }
    const prefix = `${csvField(run.id)},${csvField(run.name)}`;
    for (const step of [...rows.keys()].sort((a, b) => a - b)) {
      const row = rows.get(step)!;
      const values = names.map((n) => (row.values.has(n) ? String(row.values.get(n)) : ''));
      lines.push(
        `${prefix},${step},${row.seconds.toFixed(3)},${new Date(row.wall).toISOString()},${values.join(',')}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** JSON: each run with its summary and, per metric, columns of steps, seconds and values. */
export function toJson(series: readonly ExportSeries[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    exportedAt: new Date().toISOString(),
    ...extra,
    runs: series.map(({ run, metrics }) => ({ ...run, metrics })),
  });
}

/** A file name from the runs' names: "emoji-32-px-1.csv", or "compare-3-runs.csv". */
export function exportFileName(runs: readonly RunSummary[], format: 'csv' | 'json'): string {
  const base =
    runs.length === 1
      ? runs[0]!.name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '')
          .slice(0, 60) || runs[0]!.id
      : `compare-${runs.length}-runs`;
  return `${base}.${format}`;
}
