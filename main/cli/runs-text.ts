import { setAsideText } from '../../shared/history-text.js';
import { configFieldLabels, configFields } from '../../shared/config.js';
import type {
  ConfigValue,
  HealthWarning,
  RunComparison,
  RunDetail,
  RunEvent,
  RunSummary,
} from '../../shared/types.js';

/** How the CLI prints runs: one line each in lists, a page for `runs show`, a table to compare. */

function backendText(r: RunSummary): string {
  return r.backend ? `${r.backend}${r.threads && r.threads > 1 ? ` x${r.threads}` : ''}` : '-';
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function value(v: ConfigValue): string {
  return Array.isArray(v) ? v.join('+') || '(none)' : String(v);
}

function number(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : Number(v.toPrecision(4)).toString();
}

export function runLine(r: RunSummary): string {
  return `${r.id}  ${r.status.padEnd(11)} step ${r.step}/${r.totalSteps}  ${r.resolution}px  ${backendText(r)}  D ${number(r.lastDLoss)}  G ${number(r.lastGLoss)}  ${r.name}`;
}

/** A health warning as the CLI prints it: what, why, and what to try. */
export function warningText(w: HealthWarning): string {
  return w.cleared ? `${w.title}. ${w.message}` : `${w.title}. ${w.message} Try: ${w.advice}`;
}

export function eventText(e: RunEvent): string {
  const at = `${time(e.at)}  step ${String(e.step).padStart(7)}  `;
  switch (e.kind) {
    case 'started':
      return `${at}${e.step === 0 ? 'started' : 'resumed'}`;
    case 'continued': {
      const changes = (e.changes ?? []).map((c) => `${c.field} ${value(c.from)} -> ${value(c.to)}`);
      const discarded = e.discardedCheckpoints?.length
        ? `; discarded checkpoints at ${e.discardedCheckpoints.join(', ')}`
        : '';
      const from = e.fromStep === null ? 'from the start (no checkpoint)' : `from step ${e.fromStep}`;
      return `${at}continued ${from}${changes.length > 0 ? ` with ${changes.join(', ')}` : ''}${discarded}${setAsideText(e)}`;
    }
    case 'warning':
      if (!e.warning) return `${at}warning`;
      return `${at}${e.warning.cleared ? 'recovered' : 'warning'}: ${warningText(e.warning)}`;
    default:
      return `${at}${e.kind}${e.error ? `: ${e.error}` : ''}`;
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function runDetailText(r: RunDetail): string {
  const lines = [
    `${r.name}  (${r.id})`,
    `status       ${r.status}, step ${r.step} of ${r.totalSteps}${r.error ? `\n             ${r.error}` : ''}`,
    `dataset      ${r.dataset ? `${r.dataset.name}, ${r.dataset.imageCount} images (${r.dataset.id}, ${r.dataset.path})` : r.datasetName ? `${r.datasetName} (removed)` : 'removed'}`,
    `backend      ${backendText(r)}`,
    `created      ${time(r.createdAt)}${r.startedAt ? `; started ${time(r.startedAt)}` : ''}${r.finishedAt ? `; finished ${time(r.finishedAt)}` : ''}`,
    `trained for  ${duration(r.trainSeconds)}`,
  ];
  if (r.tags.length > 0) lines.push(`tags         ${r.tags.join(', ')}`);
  if (r.notes) lines.push(`notes        ${r.notes}`);
  lines.push('', 'Config');
  lines.push(table(configFields.map((f) => [`  ${configFieldLabels[f]}`, value(r.config[f])])));
  if (r.stats.length > 0) {
    lines.push('', 'Metrics');
    lines.push(
      table([
        ['  name', 'final', 'at step', 'lowest', 'at step', 'points'],
        ...r.stats.map((m) => [
          `  ${m.name}`,
          number(m.last),
          String(m.lastStep),
          number(m.min),
          String(m.minStep),
          String(m.count),
        ]),
      ]),
    );
  }
  lines.push('', 'Checkpoints');
  if (r.checkpoints.length === 0) lines.push('  none yet');
  for (const c of r.checkpoints)
    lines.push(`  step ${c.step}  ${time(c.createdAt)}${c.starred ? '  (starred)' : ''}`);
  lines.push('', 'History');
  if (r.history.length === 0) lines.push('  not recorded (run made by an older GAN Studio)');
  for (const e of r.history) lines.push(`  ${eventText(e)}`);
  return lines.join('\n');
}

const finalMetrics = ['dLoss', 'gLoss', 'dReal', 'dFake'];

export function comparisonText(c: RunComparison): string {
  const head = ['', ...c.runs.map((r) => r.name)];
  const rows: string[][] = [
    head,
    ['id', ...c.runs.map((r) => r.id)],
    ['status', ...c.runs.map((r) => `${r.status} ${r.step}/${r.totalSteps}`)],
    ['dataset', ...c.runs.map((r) => r.datasetName ?? '-')],
    ['backend', ...c.runs.map(backendText)],
    ['trained for', ...c.runs.map((r) => duration(r.trainSeconds))],
  ];
  const differing = c.config.filter((row) => row.differs);
  const lines = [table(rows), ''];
  if (differing.length === 0) lines.push('Config: the runs have the same config.');
  else {
    lines.push(`Config differences (${differing.length} of ${c.config.length} fields):`);
    lines.push(table([head, ...differing.map((row) => [row.label, ...row.values.map(value)])]));
  }
  lines.push('', 'Final metrics (lowest in brackets):');
  lines.push(
    table([
      head,
      ...finalMetrics.map((name) => [
        name,
        ...c.runs.map((r) => {
          const m = r.stats.find((s) => s.name === name);
          return m ? `${number(m.last)} (${number(m.min)})` : '-';
        }),
      ]),
    ]),
  );
  return lines.join('\n');
}
