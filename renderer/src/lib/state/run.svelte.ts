import type { RunDetail, RunStatus } from '../../../../shared/types.js';
import { studio } from '../api/client.js';

/** The metrics a run page charts. */
export const chartedMetrics = ['dLoss', 'gLoss', 'dReal', 'dFake', 'imagesPerSecond'];

export interface Columns {
  step: number[];
  value: number[];
  min?: number[] | undefined;
  max?: number[] | undefined;
}

export interface Progress {
  step: number;
  imagesPerSecond: number;
  etaSeconds: number | null;
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
  #error = $state<string | null>(null);

  constructor(readonly id: string) {}

  get detail(): RunDetail | null {
    return this.#detail;
  }
  get series(): Record<string, Columns> {
    return this.#series;
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
    try {
      const [detail, series] = await Promise.all([
        studio.call('runs.get', { id: this.id }),
        withSeries
          ? studio.call('runs.metrics', { id: this.id, names: chartedMetrics, maxPoints: 2000 })
          : null,
      ]);
      this.#detail = detail;
      if (series) this.#series = series.metrics;
      this.#error = null;
    } catch (err) {
      this.#error = (err as Error).message;
    }
  }

  /** Subscribes to the run's events; returns the unsubscribe for an $effect's cleanup. */
  watch(): () => void {
    const id = this.id;
    const offs = [
      studio.on('run.metrics', (e) => {
        if (e.runId !== id) return;
        const next: Record<string, Columns> = { ...this.#series };
        for (const name of chartedMetrics) {
          const points = e.points.filter((p) => Number.isFinite(p.values[name]));
          if (points.length === 0) continue;
          const old = next[name] ?? { step: [], value: [] };
          next[name] = {
            step: [...old.step, ...points.map((p) => p.step)],
            value: [...old.value, ...points.map((p) => p.values[name]!)],
            // New points stand for themselves: their range is their value.
            ...(old.min && old.max
              ? {
                  min: [...old.min, ...points.map((p) => p.values[name]!)],
                  max: [...old.max, ...points.map((p) => p.values[name]!)],
                }
              : {}),
          };
        }
        this.#series = next;
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
