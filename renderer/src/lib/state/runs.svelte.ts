import type { RunSortKey, RunSummary } from '../../../../shared/types.js';
import { studio } from '../api/client.js';

export interface RunFilters {
  status: string;
  datasetId: string;
  tag: string;
  search: string;
}

/** What a training run's events said since the list was read: the store only catches up in batches. */
type Live = Partial<Pick<RunSummary, 'step' | 'trainSeconds' | 'lastDLoss' | 'lastGLoss'>>;

/**
 * The runs list: every run (for the filter choices) and the ones the filters and sort keep, as
 * main filters and sorts them. Kept fresh by run events, a training run's step, time and losses
 * live from its progress and points. Views read; methods write.
 */
export class RunsState {
  #all = $state.raw<RunSummary[]>([]);
  #shown = $state.raw<RunSummary[]>([]);
  #loaded = $state(false);
  #error = $state<string | null>(null);
  #sort = $state<{ key: RunSortKey; order: 'asc' | 'desc' }>({ key: 'created', order: 'desc' });
  filters = $state<RunFilters>({ status: '', datasetId: '', tag: '', search: '' });
  /** Ids ticked for comparison, in the order they were ticked. */
  selected = $state<string[]>([]);
  /** By run id, for runs training now; dropped when a run's status changes (the store has it then). */
  readonly #live = new Map<string, Live>();

  get all(): RunSummary[] {
    return this.#all;
  }
  get runs(): RunSummary[] {
    return this.#shown;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get error(): string | null {
    return this.#error;
  }
  get sort(): { key: RunSortKey; order: 'asc' | 'desc' } {
    return this.#sort;
  }
  get datasets(): { id: string; name: string }[] {
    const seen = new Map<string, string>();
    for (const r of this.#all) if (r.datasetId) seen.set(r.datasetId, r.datasetName ?? r.datasetId);
    return [...seen].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
  }
  get tags(): string[] {
    return [...new Set(this.#all.flatMap((r) => r.tags))].sort();
  }

  async load(): Promise<void> {
    const { status, datasetId, tag, search } = this.filters;
    try {
      const [all, shown] = await Promise.all([
        studio.call('runs.list', {}),
        studio.call('runs.list', {
          ...(status ? { status } : {}),
          ...(datasetId ? { datasetId } : {}),
          ...(tag ? { tag } : {}),
          ...(search.trim() ? { search } : {}),
          sort: this.#sort.key,
          order: this.#sort.order,
        }),
      ]);
      this.#all = all.map((r) => this.#withLive(r));
      this.#shown = shown.map((r) => this.#withLive(r));
      this.selected = this.selected.filter((id) => all.some((r) => r.id === id));
      this.#error = null;
    } catch (err) {
      this.#error = (err as Error).message;
    } finally {
      this.#loaded = true;
    }
  }

  /** Sorts by a column; the same column again flips the order. */
  sortBy(key: RunSortKey): void {
    this.#sort =
      this.#sort.key === key
        ? { key, order: this.#sort.order === 'asc' ? 'desc' : 'asc' }
        : { key, order: key === 'name' || key === 'dataset' ? 'asc' : 'desc' };
    void this.load();
  }

  toggle(id: string): void {
    this.selected = this.selected.includes(id)
      ? this.selected.filter((s) => s !== id)
      : [...this.selected, id];
  }

  /** A row with what its training session has told since the store was read. */
  #withLive(run: RunSummary): RunSummary {
    const live = run.status === 'running' ? this.#live.get(run.id) : undefined;
    if (!live) return run;
    return {
      ...run,
      ...live,
      trainSeconds: Math.max(run.trainSeconds, live.trainSeconds ?? 0),
    };
  }

  /** Records what a training run's events told and shows it in its row at once. */
  #tell(runId: string, news: Live): void {
    this.#live.set(runId, { ...this.#live.get(runId), ...news });
    const patch = (list: RunSummary[]) => list.map((r) => (r.id === runId ? this.#withLive(r) : r));
    this.#all = patch(this.#all);
    this.#shown = patch(this.#shown);
  }

  /** Subscribes to run events; returns the unsubscribe for an $effect's cleanup. */
  watch(): () => void {
    const offs = [
      studio.on('run.status', (e) => {
        // A session began or ended: the store's row is the truth again.
        this.#live.delete(e.runId);
        void this.load();
      }),
      studio.on('run.updated', (e) => {
        // A rename or a new config shows at once; the order is refreshed with the next load.
        const patch = (list: RunSummary[]) =>
          list.map((r) => (r.id === e.run.id ? this.#withLive(e.run) : r));
        this.#all = patch(this.#all);
        this.#shown = patch(this.#shown);
      }),
      studio.on('run.progress', (e) => this.#tell(e.runId, { step: e.step })),
      studio.on('run.metrics', (e) => {
        const last = e.points.at(-1);
        if (!last) return;
        const news: Live = { trainSeconds: last.seconds };
        const losses = e.points.findLast((p) => p.values['dLoss'] !== undefined);
        if (losses) {
          news.lastDLoss = losses.values['dLoss'] ?? null;
          news.lastGLoss = losses.values['gLoss'] ?? null;
        }
        this.#tell(e.runId, news);
      }),
    ];
    return () => offs.forEach((off) => off());
  }
}
