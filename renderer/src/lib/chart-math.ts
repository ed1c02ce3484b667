import { duration } from './format.js';

/** The line charts' data, and the arithmetic on it that needs no chart: testable on its own. */

export interface ChartSeries {
  label: string;
  color: string;
  /** The recorded metric it plots ('dLoss', 'swd', …): whether smoothing applies (smoothedMetrics). */
  metric: string;
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

/**
 * Metrics whose curves the smoothing slider smooths, on every chart that draws them: the losses and
 * D's outputs, noisy from step to step. The rest are measurements taken now and then (quality,
 * diversity) or a plain rate (speed), drawn as measured on the run page and the compare page alike.
 */
export const smoothedMetrics: ReadonlySet<string> = new Set(['dLoss', 'gLoss', 'dReal', 'dFake']);

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
 * As nearestIndex, or -1 where `x` lies more than `slack` beyond the series' last point or before
 * its first: a run that ended at step 150 has no value at step 322.
 */
export function nearestIndexWithin(points: readonly Point[], x: number, slack: number): number {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last || x < first.x - slack || x > last.x + slack) return -1;
  return nearestIndex(points, x);
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

/**
 * An axis's ticks with their labels, each label once. Steps are whole numbers, so a tick between
 * two steps is dropped; times of day get seconds when minutes alone would repeat; a tick whose
 * label still repeats an earlier one's (training time in whole seconds) is dropped.
 */
export function axisTicks(values: readonly number[], kind: XKind): { value: number; label: string }[] {
  const kept = kind === 'step' ? values.filter((v) => Math.abs(v - Math.round(v)) < 1e-9) : values;
  let labels = kept.map((v) => formatX(v, kind, false));
  if (kind === 'clock' && new Set(labels).size < labels.length) labels = kept.map((v) => clock(v, true));
  const seen = new Set<string>();
  return kept.flatMap((value, i) => {
    const label = labels[i]!;
    if (seen.has(label)) return [];
    seen.add(label);
    return [{ value, label }];
  });
}

/**
 * The x range around a lone x value (one point, or several at one x), which would otherwise
 * span ±5% of the value itself: years, for a time of day.
 */
export function rangeAround(x: number, kind: XKind): { min: number; max: number } {
  const half = kind === 'clock' ? 60_000 : 1;
  return kind === 'clock' ? { min: x - half, max: x + half } : { min: Math.max(0, x - half), max: x + half };
}
