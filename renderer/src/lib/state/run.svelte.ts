import type { HealthWarning, RunDetail, RunEvent, RunStatus } from '../../../../shared/types.js';
import type { EventPayloads } from '../../../../shared/events.js';
import { studio } from '../api/client.js';

/** The metrics a run page charts: losses, D's outputs, speed, the quality curve and grid diversity. */
export const chartedMetrics = ['dLoss', 'gLoss', 'dReal', 'dFake', 'imagesPerSecond', 'swd', 'diversity'];

export interface Columns {
  step: number[];
  /** Training time (s) of each point: pauses left out. */
  seconds: number[];
  /** Wall-clock time of each point, ms since the epoch. */
  wall: number[];
  value: number[];
  min?: number[] | undefined;
  max?: number[] | undefined;
}

export interface Progress {
  step: number;
  imagesPerSecond: number;
  etaSeconds: number | null;
}

/** A health warning with when it was raised (the history entry's time). */
export interface RunWarning extends HealthWarning {
  at: number;
}

const warningKey = (w: RunWarning) => `${w.code}@${w.step}${w.cleared ? ' cleared' : ''}`;

function warningsOf(history: readonly RunEvent[]): RunWarning[] {
  return history.flatMap((e) => (e.kind === 'warning' && e.warning ? [{ ...e.warning, at: e.at }] : []));
}

type MetricsPoint = EventPayloads['run.metrics']['points'][number];

/**
 * Series with streamed points added: each charted metric's points past its last step (a point
 * carries the values recorded at its step; quality and diversity come on points of their own).
 */
function appendPoints(
  series: Record<string, Columns>,
  points: readonly MetricsPoint[],
): Record<string, Columns> {
  const next: Record<string, Columns> = { ...series };
  for (const name of chartedMetrics) {
    const old = next[name] ?? { step: [], seconds: [], wall: [], value: [] };
    const last = old.step.at(-1) ?? -1;
    const fresh = points.filter((p) => p.step > last && Number.isFinite(p.values[name]));
    if (fresh.length === 0) continue;
    const values = fresh.map((p) => p.values[name]!);
    next[name] = {
      step: [...old.step, ...fresh.map((p) => p.step)],
      seconds: [...old.seconds, ...fresh.map((p) => p.seconds)],
      wall: [...old.wall, ...fresh.map((p) => p.wallTime)],
      value: [...old.value, ...values],
      // New points stand for themselves: their range is their value.
      ...(old.min && old.max ? { min: [...old.min, ...values], max: [...old.max, ...values] } : {}),
    };
  }
  return next;
}

/**
 * One run as its page shows it, kept current by the run's events: its detail (history,
 * checkpoints, samples), its charted series and, while it trains, its speed and ETA. Views read;
 * methods write. One event stream feeds the header, the charts, the checkpoints and the name.
 */
export class TrainingRun {
  #detail = $state.raw<RunDetail | null>(null);
  #series = $state.raw<Record<string, Columns>>({});
  #progress = $state.raw<Progress | null>(null);
  /** Warnings pushed by run.warning since the detail was read (it may have been read just before). */
  #liveWarnings = $state.raw<RunWarning[]>([]);
  #error = $state<string | null>(null);
  /** Collectors of streamed points, one per series read in flight (see load). */
  readonly #streams = new Set<MetricsPoint[]>();

  constructor(readonly id: string) {}

  get detail(): RunDetail | null {
    return this.#detail;
  }
  get series(): Record<string, Columns> {
    return this.#series;
  }
  /** Warnings raised since the detail was read, which its history does not have yet. */
  get #unrecorded(): RunWarning[] {
    const known = new Set(warningsOf(this.#detail?.history ?? []).map(warningKey));
    return this.#liveWarnings.filter((w) => !known.has(warningKey(w)));
  }
  /** The run's history, with the warnings raised since it was read. */
  get history(): RunEvent[] {
    const history = this.#detail?.history ?? [];
    const live = this.#unrecorded.map(({ at, ...warning }): RunEvent => ({
      kind: 'warning',
      at,
      step: warning.step,
      warning,
    }));
    return live.length === 0 ? history : [...history, ...live].sort((a, b) => a.at - b.at);
  }
  /**
   * The run's health warnings that still hold, newest first: of its history's and those raised
   * since, each kind's latest notice unless that notice says the run recovered.
   */
  get warnings(): RunWarning[] {
    const all = [...warningsOf(this.#detail?.history ?? []), ...this.#unrecorded].sort((a, b) => b.at - a.at);
    const latest = new Map<string, RunWarning>();
    for (const w of all) if (!latest.has(w.code)) latest.set(w.code, w);
    return [...latest.values()].filter((w) => !w.cleared);
  }
  get error(): string | null {
    return this.#error;
  }
  get running(): boolean {
    return this.#detail?.status === 'running';
  }
  /** Speed and ETA exist only while the run trains. */
  get progress(): Progress | null {
    return this.running ? this.#progress : null;
  }
  /** While it trains, the furthest step any event reported; otherwise the stored step. */
  get step(): number {
    const detail = this.#detail;
    if (!detail) return 0;
    if (!this.running) return detail.step;
    const charted = this.#series['dLoss']?.step.at(-1) ?? 0;
    return Math.max(detail.step, charted, this.#progress?.step ?? 0);
  }

  async load(withSeries = true): Promise<void> {
    // Points that stream in while the series are read may be newer than what the store had
    // flushed when it answered: they are kept and added after the stored ones.
    const streamed: MetricsPoint[] = [];
    if (withSeries) this.#streams.add(streamed);
    try {
      const [detail, series] = await Promise.all([
        studio.call('runs.get', { id: this.id }),
        withSeries
          ? studio.call('runs.metrics', { id: this.id, names: chartedMetrics, maxPoints: 2000 })
          : null,
      ]);
      this.#detail = detail;
      if (series) this.#series = appendPoints(series.metrics, streamed);
      this.#error = null;
    } catch (err) {
      this.#error = (err as Error).message;
    } finally {
      this.#streams.delete(streamed);
    }
  }

  /** Subscribes to the run's events; returns the unsubscribe for an $effect's cleanup. */
  watch(): () => void {
    const id = this.id;
    const offs = [
      studio.on('run.metrics', (e) => {
        if (e.runId !== id) return;
        for (const stream of this.#streams) stream.push(...e.points);
        this.#series = appendPoints(this.#series, e.points);
      }),
      studio.on('run.progress', (e) => {
        if (e.runId === id) this.#progress = e;
      }),
      studio.on('run.sample', (e) => {
        const detail = this.#detail;
        if (e.runId === id && detail) {
          this.#detail = { ...detail, samples: [...detail.samples, { step: e.step, url: e.url }] };
        }
      }),
      studio.on('run.warning', (e) => {
        if (e.runId === id) this.#liveWarnings = [...this.#liveWarnings, { ...e.warning, at: e.at }];
      }),
      studio.on('run.checkpoints', (e) => {
        const detail = this.#detail;
        if (e.runId === id && detail) this.#detail = { ...detail, checkpoints: e.checkpoints };
      }),
      studio.on('run.updated', (e) => {
        const detail = this.#detail;
        if (e.run.id === id && detail) this.#detail = { ...detail, ...e.run };
      }),
      studio.on('run.status', (e) => {
        if (e.runId !== id) return;
        const detail = this.#detail;
        if (detail) this.#detail = { ...detail, status: e.status, step: e.step, error: e.error };
        if (e.status !== 'running') this.#progress = null;
        // The history, timings and final values change with the status. Series are read again
        // except while training, when points stream in: a rewound run's curves start over.
        void this.load(e.status !== 'running');
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  async control(action: 'training.pause' | 'training.resume' | 'training.stop'): Promise<void> {
    try {
      this.#error = null;
      await studio.call(action, { id: this.id });
      await this.load();
    } catch (err) {
      this.#error = (err as Error).message;
    }
  }

  async star(step: number, starred: boolean): Promise<void> {
    try {
      await studio.call('runs.starCheckpoint', { id: this.id, step, starred });
    } catch (err) {
      this.#error = (err as Error).message;
    }
  }
}

export const continuable: readonly RunStatus[] = ['paused', 'stopped', 'failed', 'interrupted', 'finished'];
