import type {
  GenerationJob,
  GeneratorWeights,
  LatentExport,
  LatentRun,
  LatentSamples,
  MemorisationCheck,
  ModelExport,
} from '../../../../shared/types.js';
import { maxSeed } from '../../../../shared/config.js';
import { studio } from '../api/client.js';
import { GenerationJobs } from './generation-jobs.svelte.js';
import { LatestRequest } from './latest-request.svelte.js';
import { SeedPath, type GeneratorRef, type PathMemory } from './seed-path.svelte.js';

/** Samples in the grid. */
export const gridSize = 16;

/** What the explorer showed of a run when it was left: found again when the user comes back. */
interface Visit {
  step: number | null;
  weights: GeneratorWeights;
  truncation: number;
  gridStart: number;
  exports: LatentExport[];
  path: PathMemory;
}

/**
 * Kept for the app session, outside any one explorer (a view is made anew each time it opens):
 * each run's visit, and the run explored last, which the view opens when no run is named.
 */
const visits = new Map<string, Visit>();
let lastRunId: string | null = null;

/**
 * The latent explorer's state: which run and checkpoint, the sample grid by seed, the path being
 * built and its frames (`seedPath`), and what was exported, generated and checked. Views read;
 * methods write. The grid and the path ask through a LatestRequest each, so an answer that
 * arrives after a newer question was asked (a slider dragged on) is dropped rather than shown.
 */
export class LatentExplorer {
  #runs = $state.raw<LatentRun[] | null>(null);
  #runId = $state<string | null>(null);
  #step = $state<number | null>(null);
  #weights = $state<GeneratorWeights>('ema');
  #truncation = $state(1);
  #gridStart = $state(0);
  #grid = $state.raw<LatentSamples | null>(null);
  #exports = $state.raw<LatentExport[]>([]);
  #exporting = $state<string | null>(null);
  #check = $state.raw<MemorisationCheck | null>(null);
  #checking = $state(false);
  #model = $state.raw<ModelExport | null>(null);
  #modelBusy = $state(false);
  #error = $state<string | null>(null);
  readonly #gridRequest = new LatestRequest((error) => (this.#error = error));
  readonly #generated = new GenerationJobs();
  readonly seedPath = new SeedPath(
    () => this.ref(),
    () => this.#truncation,
    (error) => (this.#error = error),
  );

  /** The run was not named but remembered: if it is gone, the first run is opened without a word. */
  readonly #remembered: boolean;

  constructor(runId: string | null) {
    this.#remembered = runId === null && lastRunId !== null;
    this.#runId = runId ?? lastRunId;
    const visit = this.#runId ? visits.get(this.#runId) : undefined;
    if (visit) {
      this.#step = visit.step;
      this.#weights = visit.weights;
      this.#truncation = visit.truncation;
      this.#gridStart = visit.gridStart;
      this.#exports = visit.exports;
      this.seedPath.restore(visit.path);
    }
  }

  /** Keeps what is shown for when the view opens again (see visits). */
  private remember(): void {
    if (!this.#runId) return;
    lastRunId = this.#runId;
    visits.set(this.#runId, {
      step: this.#step,
      weights: this.#weights,
      truncation: this.#truncation,
      gridStart: this.#gridStart,
      exports: this.#exports,
      path: this.seedPath.snapshot(),
    });
  }

  get runs(): LatentRun[] | null {
    return this.#runs;
  }
  get runId(): string | null {
    return this.#runId;
  }
  get run(): LatentRun | null {
    return this.#runs?.find((r) => r.id === this.#runId) ?? null;
  }
  /** The checkpoint shown: the one picked, or the latest. */
  get step(): number | null {
    return this.#step ?? this.run?.checkpoints.at(-1)?.step ?? null;
  }
  get weights(): GeneratorWeights {
    return this.run?.ema ? this.#weights : 'g';
  }
  get truncation(): number {
    return this.#truncation;
  }
  get gridStart(): number {
    return this.#gridStart;
  }
  get gridSeeds(): number[] {
    const start = Math.min(this.#gridStart, maxSeed - gridSize + 1);
    return Array.from({ length: gridSize }, (_, i) => start + i);
  }
  get grid(): LatentSamples | null {
    return this.#grid;
  }
  get gridLoading(): boolean {
    return this.#gridRequest.loading;
  }
  get exports(): LatentExport[] {
    return this.#exports;
  }
  /** What is being exported right now ('gif', 'sample', …), or null. */
  get exporting(): string | null {
    return this.#exporting;
  }
  get jobs(): GenerationJob[] {
    return this.#generated.jobs;
  }
  /** The newest generated set of this run. */
  get job(): GenerationJob | null {
    return this.#generated.jobOf(this.#runId);
  }
  /** A set being generated from another run: one is made at a time. */
  get generatingElsewhere(): GenerationJob | null {
    return this.#generated.jobs.find((j) => j.status === 'running' && j.runId !== this.#runId) ?? null;
  }
  get check(): MemorisationCheck | null {
    return this.#check;
  }
  get checking(): boolean {
    return this.#checking;
  }
  get model(): ModelExport | null {
    return this.#model;
  }
  get modelBusy(): boolean {
    return this.#modelBusy;
  }
  get error(): string | null {
    return this.#error;
  }

  /** The generator every request names. */
  private ref(): GeneratorRef | null {
    if (!this.#runId) return null;
    const step = this.step;
    return { runId: this.#runId, ...(step !== null ? { step } : {}), weights: this.weights };
  }

  private fail(err: unknown): void {
    this.#error = (err as Error).message;
  }

  /**
   * Runs what a button asked for: a failure is shown, and a success clears what an earlier failure
   * left. `busy` is told when it starts and ends, for the buttons that say so ("Exporting…").
   */
  private async act(run: () => Promise<void>, busy: (on: boolean) => void = () => undefined): Promise<void> {
    busy(true);
    try {
      await run();
      this.#error = null;
    } catch (err) {
      this.fail(err);
    } finally {
      busy(false);
    }
  }

  clearError(): void {
    this.#error = null;
  }

  async load(): Promise<void> {
    try {
      const [runs, jobs] = await Promise.all([
        studio.call('latent.runs', {}),
        studio.call('latent.jobs', {}),
      ]);
      this.#runs = runs;
      this.#generated.set(jobs);
      if (this.#runId && !runs.some((r) => r.id === this.#runId)) {
        if (!this.#remembered)
          this.#error = 'This run has no checkpoint yet (or no longer exists): choose another run.';
        visits.delete(this.#runId);
        this.#runId = null;
        // What was kept of it means nothing for the run opened instead.
        this.#step = null;
        this.#gridStart = 0;
        this.#exports = [];
        this.seedPath.clear();
      }
      this.#runId ??= runs[0]?.id ?? null;
      // A checkpoint kept from an earlier visit may have been pruned since: the latest, then.
      if (this.#step !== null && !this.run?.checkpoints.some((c) => c.step === this.#step)) this.#step = null;
      this.refreshGrid(0);
      // A path taken up again is drawn by the generator of now (a newer checkpoint, say).
      this.seedPath.refresh(0);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Follows generated sets and checkpoints written by training elsewhere. */
  watch(): () => void {
    const offs = [
      this.#generated.watch(),
      studio.on('run.checkpoints', (e) => {
        if (!this.#runs) return;
        const known = this.#runs.some((r) => r.id === e.runId);
        if (known)
          this.#runs = this.#runs.map((r) => (r.id === e.runId ? { ...r, checkpoints: e.checkpoints } : r));
        else
          void studio.call('latent.runs', {}).then(
            (runs) => (this.#runs = runs),
            () => undefined,
          );
      }),
    ];
    return () => {
      offs.forEach((off) => off());
      this.#gridRequest.stop();
      this.seedPath.stop();
      this.remember();
    };
  }

  // ---- the generator --------------------------------------------------------------------------

  selectCheckpoint(step: number | null): void {
    this.#step = step;
    this.regenerate();
  }

  selectWeights(weights: GeneratorWeights): void {
    this.#weights = weights;
    this.regenerate();
  }

  setTruncation(psi: number): void {
    if (!Number.isFinite(psi)) return;
    this.#truncation = Math.min(2, Math.max(0, psi));
    this.regenerate();
  }

  /** The grid and the path again, after the generator or ψ changed; earlier exports stay. */
  private regenerate(): void {
    this.#check = null;
    this.refreshGrid();
    this.seedPath.refresh();
  }

  // ---- the grid -------------------------------------------------------------------------------

  showSeeds(start: number): void {
    if (!Number.isInteger(start)) return;
    this.#gridStart = Math.min(maxSeed - gridSize + 1, Math.max(0, start));
    this.#check = null;
    this.refreshGrid(0);
  }

  private refreshGrid(delay?: number): void {
    this.#gridRequest.schedule(() => this.loadGrid(), delay);
  }

  private async loadGrid(): Promise<void> {
    const ref = this.ref();
    if (!ref) return;
    await this.#gridRequest.ask(
      () => studio.call('latent.samples', { ...ref, seeds: this.gridSeeds, truncation: this.#truncation }),
      (grid) => (this.#grid = grid),
    );
  }

  // ---- exports --------------------------------------------------------------------------------

  async exportPath(format: 'gif' | 'webp' | 'strip', frameMs: number, scale: number): Promise<void> {
    const request = this.seedPath.request();
    if (!request) return;
    await this.saveExport(format, () => studio.call('latent.export', { ...request, format, frameMs, scale }));
  }

  async exportSample(seed: number, scale: number): Promise<void> {
    const ref = this.ref();
    if (!ref) return;
    await this.saveExport('sample', () =>
      studio.call('latent.exportSample', { ...ref, seed, truncation: this.#truncation, scale }),
    );
  }

  /** Lists a new export first; `kind` names it in `exporting` while it is written. */
  private async saveExport(kind: string, ask: () => Promise<LatentExport>): Promise<void> {
    await this.act(
      async () => {
        const exported = await ask();
        this.#exports = [exported, ...this.#exports];
      },
      (on) => (this.#exporting = on ? kind : null),
    );
  }

  async exportModel(): Promise<void> {
    const ref = this.ref();
    if (!ref) return;
    await this.act(
      async () => {
        this.#model = await studio.call('latent.exportModel', { ...ref, format: 'tfjs' });
      },
      (on) => (this.#modelBusy = on),
    );
  }

  // ---- generated sets and the memorisation check ----------------------------------------------

  async generate(count: number, seedStart: number): Promise<void> {
    const ref = this.ref();
    if (!ref) return;
    await this.act(() => this.#generated.start({ ...ref, count, seedStart, truncation: this.#truncation }));
  }

  async cancel(jobId: string): Promise<void> {
    try {
      await this.#generated.cancel(jobId);
    } catch (err) {
      this.fail(err);
    }
  }

  async checkMemorisation(threshold: number): Promise<void> {
    const ref = this.ref();
    if (!ref) return;
    await this.act(
      async () => {
        this.#check = await studio.call('latent.nearest', {
          ...ref,
          seeds: this.gridSeeds,
          truncation: this.#truncation,
          threshold,
        });
      },
      (on) => (this.#checking = on),
    );
  }
}
