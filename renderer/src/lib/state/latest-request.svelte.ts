/** Inputs settle this long before the generator is asked again (a slider drag is one request). */
const settleMs = 150;

/**
 * A question asked again and again as its inputs change (the explorer's grid, its path). Each
 * asking carries a ticket, so an answer that arrives after a newer question was asked (a slider
 * dragged on) is dropped rather than shown.
 */
export class LatestRequest {
  #ticket = 0;
  #loading = $state(false);
  #timer: ReturnType<typeof setTimeout> | null = null;
  readonly #report: (error: string | null) => void;

  /** `report` is told why an answer failed, or null once one came (so an older failure goes). */
  constructor(report: (error: string | null) => void) {
    this.#report = report;
  }

  get loading(): boolean {
    return this.#loading;
  }

  /** Asks once the inputs have been still for `delay` ms; another change meanwhile waits anew. */
  schedule(ask: () => Promise<void>, delay = settleMs): void {
    this.stop();
    this.#timer = setTimeout(() => void ask(), delay);
  }

  /** Forgets a question still waiting to be asked. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** Nothing to ask any more: a waiting question is forgotten and an answer on its way dropped. */
  drop(): void {
    this.stop();
    this.#ticket++;
    this.#loading = false;
  }

  /** Asks now; the answer is shown, or its error reported, only while no newer question was asked. */
  async ask<T>(question: () => Promise<T>, show: (answer: T) => void): Promise<void> {
    const ticket = ++this.#ticket;
    const current = () => ticket === this.#ticket;
    this.#loading = true;
    try {
      const answer = await question();
      if (current()) {
        show(answer);
        this.#report(null);
      }
    } catch (err) {
      if (current()) this.#report((err as Error).message);
    } finally {
      if (current()) this.#loading = false;
    }
  }
}
