import type { RunSummary } from '../../../../shared/types.js';
import { studio } from '../api/client.js';

/** The runs list, kept fresh by run status events. Views read; methods write. */
export class RunsState {
  #runs = $state.raw<RunSummary[]>([]);
  #loaded = $state(false);
  #error = $state<string | null>(null);

  get runs(): RunSummary[] {
    return this.#runs;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get error(): string | null {
    return this.#error;
  }

  async load(): Promise<void> {
    try {
      this.#runs = await studio.call('runs.list', {});
      this.#error = null;
    } catch (err) {
      this.#error = (err as Error).message;
    } finally {
      this.#loaded = true;
    }
  }

  /** Subscribes to status changes; returns the unsubscribe for an $effect's cleanup. */
  watch(): () => void {
    return studio.on('run.status', () => void this.load());
  }
}
