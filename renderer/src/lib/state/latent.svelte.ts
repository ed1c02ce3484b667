import type {
  GenerationJob,
  GeneratorWeights,
  InterpolationMode,
  LatentExport,
  LatentPath,
  LatentRun,
  LatentSamples,
  MemorisationCheck,
  ModelExport,
} from '../../../../shared/types.js';
import { studio } from '../api/client.js';

/** Samples in the grid. */
export const gridSize = 16;
/** The largest seed (seeds are 31-bit, as manifests record them). */
export const maxSeed = 2 ** 31 - 1;
/** Inputs settle this long before the generator is asked again (a slider drag is one request). */
const settleMs = 150;

/** What the generator is asked for again and again as inputs change; only the latest answer is shown. */
type Live = 'grid' | 'path';

/** A random seed: what "Random" picks. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % (maxSeed + 1);
}

/**
 * Seeds typed by a user: "1, 2, 3" or "1 2 3". Returns the seeds, or a sentence saying what is
 * wrong with the text.
 */
export function parseSeeds(text: string): number[] | string {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) return 'Type one or more seeds, like 1, 2, 3.';
  const seeds = parts.map(Number);
  const bad = parts.find((_, i) => !Number.isInteger(seeds[i]) || seeds[i]! < 0 || seeds[i]! > maxSeed);
  if (bad !== undefined) return `"${bad}" is not a seed: seeds are whole numbers from 0 to ${maxSeed}.`;
  return seeds;
}

/**
 * The latent explorer's state: which run and checkpoint, the sample grid by seed, the path being
 * built and its frames, and what was exported, generated and checked. Views read; methods write.
 * Every generator request carries a ticket, so an answer that arrives after a newer question was
 * asked (a slider dragged on) is dropped rather than shown.
 */
export class LatentExplorer {
  #runs = $state.raw<LatentRun[] | null>(null);
  #runId = $state<string | null>(null);
  #step = $state<number | null>(null);
  #weights = $state<GeneratorWeights>('ema');
  #truncation = $state(1);
  #gridStart = $state(0);
  #grid = $state.raw<LatentSamples | null>(null);
  #seeds = $state.raw<number[]>([]);
  #mode = $state<InterpolationMode>('slerp');
  #framesPerSegment = $state(12);
  #path = $state.raw<LatentPath | null>(null);
  #loading = $state<Record<Live, boolean>>({ grid: false, path: false });
  #frame = $state(0);
  #playing = $state(false);
  #exports = $state.raw<LatentExport[]>([]);
  #exporting = $state<string | null>(null);
  #jobs = $state.raw<GenerationJob[]>([]);
  #check = $state.raw<MemorisationCheck | null>(null);
  #checking = $state(false);
  #model = $state.raw<ModelExport | null>(null);
  #modelBusy = $state(false);
  #error = $state<string | null>(null);
  #tickets: Record<Live, number> = { grid: 0, path: 0 };
  #gridTimer: ReturnType<typeof setTimeout> | null = null;
  #pathTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(runId: string | null) {
    this.#runId = runId;
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
    return this.#loading.grid;
  }
  get seeds(): number[] {
    return this.#seeds;
  }
  get mode(): InterpolationMode {
    return this.#mode;
  }
  get framesPerSegment(): number {
    return this.#framesPerSegment;
  }
  get path(): LatentPath | null {
    return this.#path;
  }
  get pathLoading(): boolean {
    return this.#loading.path;
  }
  get frame(): number {
    return this.#frame;
  }
  get playing(): boolean {
    return this.#playing;
  }
  get exports(): LatentExport[] {
    return this.#exports;
  }
  /** What is being exported right now ('gif', 'sample', …), or null. */
  get exporting(): string | null {
    return this.#exporting;
  }
  get jobs(): GenerationJob[] {
    return this.#jobs;
  }
  get job(): GenerationJob | null {
    return this.#jobs[0] ?? null;
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
  private ref(): { runId: string; step?: number; weights: GeneratorWeights } | null {
    if (!this.#runId) return null;
    const step = this.step;
    return { runId: this.#runId, ...(step !== null ? { step } : {}), weights: this.weights };
  }

  /** The path every path request names, or null while there is none (fewer than two seeds). */
  private pathRef() {
    const ref = this.ref();
    if (!ref || this.#seeds.length < 2) return null;
    return {
      ...ref,
      seeds: this.#seeds,
      mode: this.#mode,
      framesPerSegment: this.#framesPerSegment,
      truncation: this.#truncation,
    };
  }

  private fail(err: unknown): void {
    this.#error = (err as Error).message;
  }

  /**
   * Asks for the grid or the path under a new ticket: an answer is shown, or its error is, only
   * while no newer question of the same kind has been asked.
   */
  private async latest<T>(kind: Live, ask: () => Promise<T>, show: (answer: T) => void): Promise<void> {
    const ticket = ++this.#tickets[kind];
    const current = () => ticket === this.#tickets[kind];
    this.#loading[kind] = true;
    try {
      const answer = await ask();
      if (current()) {
        show(answer);
        this.#error = null;
      }
    } catch (err) {
      if (current()) this.fail(err);
    } finally {
      if (current()) this.#loading[kind] = false;
    }
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
      this.#jobs = jobs;
      if (this.#runId && !runs.some((r) => r.id === this.#runId)) {
        this.#error = 'This run has no checkpoint yet (or no longer exists): choose another run.';
        this.#runId = null;
      }
      this.#runId ??= runs[0]?.id ?? null;
      this.refreshGrid(0);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Follows generated sets and checkpoints written by training elsewhere. */
  watch(): () => void {
    const offs = [
      studio.on('latent.job', (e) => {
        this.#jobs = [e.job, ...this.#jobs.filter((j) => j.id !== e.job.id)];
      }),
      studio.on('latent.progress', (e) => {
        this.#jobs = this.#jobs.map((j) =>
          j.id === e.jobId
            ? { ...j, done: e.done, imagesPerSecond: e.imagesPerSecond, etaSeconds: e.etaSeconds }
            : j,
        );
      }),
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
      this.#playing = false;
      if (this.#gridTimer) clearTimeout(this.#gridTimer);
      if (this.#pathTimer) clearTimeout(this.#pathTimer);
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
    this.refreshPath();
  }

  // ---- the grid -------------------------------------------------------------------------------

  showSeeds(start: number): void {
    if (!Number.isInteger(start)) return;
    this.#gridStart = Math.min(maxSeed - gridSize + 1, Math.max(0, start));
    this.#check = null;
    this.refreshGrid(0);
  }

  private refreshGrid(delay = settleMs): void {
    if (this.#gridTimer) clearTimeout(this.#gridTimer);
    this.#gridTimer = setTimeout(() => void this.loadGrid(), delay);
  }

  private async loadGrid(): Promise<void> {
    const ref = this.ref();
    if (!ref) return;
    await this.latest(
      'grid',
      () => studio.call('latent.samples', { ...ref, seeds: this.gridSeeds, truncation: this.#truncation }),
      (grid) => (this.#grid = grid),
    );
  }

  // ---- the path -------------------------------------------------------------------------------

  /** Adds a seed to the path, or takes it out if it is the last one added (a second click). */
  toggleSeed(seed: number): void {
    if (this.#seeds.at(-1) === seed) this.#seeds = this.#seeds.slice(0, -1);
    else if (this.#seeds.length < 16) this.#seeds = [...this.#seeds, seed];
    else {
      this.#error = 'A path goes through at most 16 seeds: remove one first.';
      return;
    }
    this.refreshPath(0);
  }

  addSeeds(seeds: number[]): void {
    const next = [...this.#seeds, ...seeds];
    if (next.length > 16) {
      this.#error = `A path goes through at most 16 seeds; it has ${this.#seeds.length}.`;
      return;
    }
    this.#seeds = next;
    this.refreshPath(0);
  }

  removeSeedAt(index: number): void {
    this.#seeds = this.#seeds.filter((_, i) => i !== index);
    this.refreshPath(0);
  }

  clearPath(): void {
    this.#seeds = [];
    this.refreshPath(0);
  }

  setMode(mode: InterpolationMode): void {
    this.#mode = mode;
    this.refreshPath(0);
  }

  setFramesPerSegment(frames: number): void {
    if (!Number.isInteger(frames) || frames < 1 || frames > 120) return;
    this.#framesPerSegment = frames;
    this.refreshPath();
  }

  /** Total frames the path will have. */
  get frameCount(): number {
    return this.#seeds.length < 2 ? 0 : (this.#seeds.length - 1) * this.#framesPerSegment + 1;
  }

  private refreshPath(delay = settleMs): void {
    if (this.#pathTimer) clearTimeout(this.#pathTimer);
    if (this.#seeds.length < 2) {
      this.#tickets.path++;
      this.#path = null;
      this.#loading.path = false;
      this.#playing = false;
      this.#frame = 0;
      return;
    }
    this.#pathTimer = setTimeout(() => void this.loadPath(), delay);
  }

  private async loadPath(): Promise<void> {
    const request = this.pathRef();
    if (!request) return;
    await this.latest(
      'path',
      () => studio.call('latent.path', request),
      (path) => {
        // Keep the slider where it was, as a fraction of the way, when the frame count changes.
        const old = this.#path?.frames.length ?? 0;
        const at = old > 1 ? this.#frame / (old - 1) : 0;
        this.#path = path;
        this.#frame = Math.round(at * (path.frames.length - 1));
      },
    );
  }

  seek(frame: number): void {
    const count = this.#path?.frames.length ?? 0;
    if (count === 0 || !Number.isFinite(frame)) return;
    this.#frame = Math.min(count - 1, Math.max(0, Math.round(frame)));
  }

  /** One animation step: on to the next frame, round to the start after the last. */
  advance(): void {
    const count = this.#path?.frames.length ?? 0;
    if (count > 0) this.#frame = (this.#frame + 1) % count;
  }

  setPlaying(playing: boolean): void {
    this.#playing = playing && (this.#path?.frames.length ?? 0) > 1;
  }

  // ---- exports --------------------------------------------------------------------------------

  async exportPath(format: 'gif' | 'webp' | 'strip', frameMs: number, scale: number): Promise<void> {
    const request = this.pathRef();
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
    await this.act(async () => {
      const job = await studio.call('latent.generate', {
        ...ref,
        count,
        seedStart,
        truncation: this.#truncation,
      });
      this.#jobs = [job, ...this.#jobs.filter((j) => j.id !== job.id)];
    });
  }

  async cancel(jobId: string): Promise<void> {
    try {
      await studio.call('latent.cancel', { jobId });
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
