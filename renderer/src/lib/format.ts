import { setAsideText } from '../../../shared/history-text.js';
import type { ConfigValue, RunEvent } from '../../../shared/types.js';

/** How the UI writes numbers, times and config values: one place, so every view agrees. */

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** An expected duration, as precise as an estimate deserves: "45 s", "38 min", "2 h 15 min". */
export function roughDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 90) return `${Math.max(5, Math.round(seconds / 5) * 5)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const minutes = Math.round(seconds / 300) * 5;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m > 0 ? `${h} h ${m} min` : `${h} h`;
}

export function eta(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds > 3600) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds > 60) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds)} s`;
}

/** Four significant digits, without trailing zeros; '—' when there is no value. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return String(Number(value.toPrecision(4)));
}

export function dateTime(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toLocaleString();
}

/** A compact date for table cells: "29 Nov, 23:57" (with the year when it is not this one). */
export function shortDate(ms: number): string {
  const d = new Date(ms);
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    ...(sameYear ? {} : { year: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function configValue(value: ConfigValue): string {
  if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : 'none';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** A history entry in words, e.g. "Continued from step 300: Steps 300 → 600, Learning rate G …". */
export function eventText(e: RunEvent, label: (field: string) => string): string {
  switch (e.kind) {
    case 'created':
      return 'Created';
    case 'started':
      return e.step === 0 ? 'Started training' : `Resumed at step ${e.step}`;
    case 'continued': {
      const from = e.fromStep === null ? 'from the start (no checkpoint)' : `from step ${e.fromStep}`;
      const changes = (e.changes ?? []).map(
        (c) => `${label(c.field)} ${configValue(c.from)} → ${configValue(c.to)}`,
      );
      const discarded = e.discardedCheckpoints?.length
        ? `; discarded checkpoints at steps ${e.discardedCheckpoints.join(', ')}`
        : '';
      return `Continued ${from}${changes.length > 0 ? `: ${changes.join(', ')}` : ''}${discarded}${setAsideText(e)}`;
    }
    case 'paused':
      return e.error ? `Paused: ${e.error}` : 'Paused';
    case 'stopped':
      return 'Stopped';
    case 'finished':
      return 'Finished';
    case 'failed':
      return `Failed${e.error ? `: ${e.error}` : ''}`;
    case 'interrupted':
      return 'Interrupted (the app or its process ended while it trained)';
    case 'warning':
      if (!e.warning) return 'Warning';
      return `${e.warning.cleared ? 'Recovered' : 'Warning'}: ${e.warning.title}`;
  }
}

/**
 * Short text for a curve mark: the rates or backend a continuation changed (its new total of
 * steps shows on the axis anyway), or just "continued".
 */
export function markText(e: RunEvent): string {
  const shown = (e.changes ?? []).filter(
    (c) => c.field === 'lrG' || c.field === 'lrD' || c.field === 'backend',
  );
  return shown.length > 0 ? shown.map((c) => `${c.field} ${configValue(c.to)}`).join(', ') : 'continued';
}

/** Saves text or a data URL as a file through the browser's download. */
export function download(fileName: string, content: string | Blob, type = 'text/plain'): void {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Distinct colours for overlaid runs, readable on light and dark panels. */
export const runColors = [
  '#4f46e5',
  '#e4572e',
  '#1f8a4c',
  '#a86a00',
  '#c026d3',
  '#0891b2',
  '#64748b',
  '#be123c',
];
