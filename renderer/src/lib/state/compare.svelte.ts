import type { RunComparison, SeriesSet } from '../../../../shared/types.js';
import { studio } from '../api/client.js';
import { download } from '../format.js';

/** The metrics a comparison overlays, with their chart titles. */
export const comparedMetrics = [
  { name: 'dLoss', title: 'D loss' },
  { name: 'gLoss', title: 'G loss' },
  { name: 'dReal', title: 'D(x)' },
  { name: 'dFake', title: 'D(G(z))' },
  { name: 'swd', title: 'Quality: SWD ×10³ (lower is closer)' },
  { name: 'diversity', title: 'Sample diversity' },
  { name: 'imagesPerSecond', title: 'Images per second' },
] as const;

/** Points per series: main buckets every run's curve on the same steps to at most this many. */
const maxPoints = 2000;

/**
 * Two or more runs side by side: what differs in their configs, their curves on one step grid
 * (aligned and downsampled in main) and their samples. Reloads while a compared run trains.
 */
export class CompareState {
  #comparison = $state.raw<RunComparison | null>(null);
  #series = $state.raw<SeriesSet | null>(null);
  #error = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly ids: readonly string[]) {}

  get comparison(): RunComparison | null {
    return this.#comparison;
  }
  get series(): SeriesSet | null {
    return this.#series;
  }
  get error(): string | null {
    return this.#error;
  }

  async load(): Promise<void> {
    if (this.ids.length < 2) {
      this.#error = 'Choose two or more runs to compare: tick them in the Runs list.';
      return;
    }
    try {
      const ids = [...this.ids];
      const [comparison, series] = await Promise.all([
        studio.call('runs.compare', { ids }),
        studio.call('runs.series', { ids, names: comparedMetrics.map((m) => m.name), maxPoints }),
      ]);
      this.#comparison = comparison;
      this.#series = series;
      this.#error = null;
    } catch (err) {
      this.#error = (err as Error).message;
    }
  }

  /** Reloads when a compared run changes; a training run's new points at most every 3 s. */
  watch(): () => void {
    const mine = (id: string) => this.ids.includes(id);
    const later = () => {
      this.#timer ??= setTimeout(() => {
        this.#timer = null;
        void this.load();
      }, 3000);
    };
    const offs = [
      studio.on('run.status', (e) => mine(e.runId) && void this.load()),
      studio.on('run.updated', (e) => mine(e.run.id) && void this.load()),
      studio.on('run.metrics', (e) => mine(e.runId) && later()),
      studio.on('run.sample', (e) => mine(e.runId) && later()),
    ];
    return () => {
      offs.forEach((off) => off());
      if (this.#timer) clearTimeout(this.#timer);
    };
  }

  /** The compared series as a CSV file: a line per run and step, a column per metric. */
  async exportCsv(): Promise<void> {
    try {
      const file = await studio.call('runs.export', { ids: [...this.ids], format: 'csv', maxPoints });
      download(file.fileName, file.content, file.mimeType);
    } catch (err) {
      this.#error = (err as Error).message;
    }
  }
}
