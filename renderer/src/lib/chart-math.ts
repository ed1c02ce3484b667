import { duration } from './format.js';

/** The line charts' data, and the arithmetic on it that needs no chart: testable on its own. */

export interface ChartSeries {
  label: string;
  color: string;
  x: number[];
  y: number[];
  /** Per-point extremes of downsampled buckets, drawn as a band when `band` is on. */
  min?: number[] | undefined;
  max?: number[] | undefined;
}

/** A vertical line at an x value, e.g. where a run continued with new learning rates. */
export interface ChartMark {
  x: number;
  label: string;
  color: string;
}

/** What the x values are: steps, training seconds, or wall-clock times (ms since the epoch). */
export type XKind = 'step' | 'seconds' | 'clock';

export const xKindLabels: Record<XKind, string> = {
  step: 'step',
  seconds: 'training time',
  clock: 'time of day',
};

/** A plotted point: y as drawn (smoothed), v the recorded value the tooltip shows. */
export interface Point {
  x: number;
  y: number;
  v: number;
}

/** Index of the point whose x is nearest `x` in points sorted by x. */
export function nearestIndex(points: readonly Point[], x: number): number {
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.x < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(points[lo - 1]!.x - x) <= Math.abs(points[lo]!.x - x)) return lo - 1;
  return lo;
}

/**
 * TensorBoard's smoothing: an exponential moving average, debiased so the curve does not
 * start from zero.
 */
export function smooth(x: number[], y: number[], weight: number): Point[] {
  let last = 0;
  let debias = 0;
  return x.map((xi, i) => {
    const v = y[i]!;
    if (weight <= 0) return { x: xi, y: v, v };
    last = last * weight + (1 - weight) * v;
    debias = debias * weight + (1 - weight);
    return { x: xi, y: last / debias, v };
  });
}

export function alpha(color: string, a: number): string {
  const hex = Math.round(a * 255)
    .toString(16)
    .padStart(2, '0');
  return color.startsWith('#') && color.length === 7 ? `${color}${hex}` : color;
}

export function clock(ms: number, seconds: boolean): string {
  return new Date(ms).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
  });
}

/** An x value as the axis (`precise` false) and the tooltip (true) write it. */
export function formatX(value: number, kind: XKind, precise: boolean): string {
  if (kind === 'seconds') return duration(value);
  if (kind === 'clock') return clock(value, precise);
  return precise ? `step ${Math.round(value)}` : String(Math.round(value));
}
