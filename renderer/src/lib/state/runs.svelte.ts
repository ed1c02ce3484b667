import type { RunSortKey, RunSummary } from '../../../../shared/types.js';
import { studio } from '../api/client.js';

export interface RunFilters {
  status: string;
  datasetId: string;
  tag: string;
  search: string;
}

/**
 * The runs list: every run (for the filter choices) and the ones the filters and sort keep, as
 * main filters and sorts them. Kept fresh by run events. Views read; methods write.
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
      this.#all = all;
      this.#shown = shown;
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

  /** Subscribes to run events; returns the unsubscribe for an $effect's cleanup. */
  watch(): () => void {
    const offs = [
      studio.on('run.status', () => void this.load()),
      studio.on('run.updated', (e) => {
        // A rename or a new config shows at once; the order is refreshed with the next load.
        const patch = (list: RunSummary[]) => list.map((r) => (r.id === e.run.id ? e.run : r));
        this.#all = patch(this.#all);
        this.#shown = patch(this.#shown);
      }),
    ];
    return () => offs.forEach((off) => off());
  }
}
