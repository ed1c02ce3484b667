import type { GeneratorWeights, InterpolationMode, LatentPath } from '../../../../shared/types.js';
import { studio } from '../api/client.js';
import { LatestRequest } from './latest-request.svelte.js';

/** The generator a request names: the explorer's run, checkpoint and weights. */
export interface GeneratorRef {
  runId: string;
  step?: number;
  weights: GeneratorWeights;
}

/** A path as it was left, to be taken up again (see SeedPath.snapshot). */
export interface PathMemory {
  seeds: number[];
  mode: InterpolationMode;
  framesPerSegment: number;
  path: LatentPath | null;
  frame: number;
}

/**
 * The explorer's path through latent space: the seeds it goes through, how it moves between
 * them, the frames the generator drew for it, and where playback stands. The explorer around it
 * says which generator and ψ draw it, and is told what went wrong.
 */
export class SeedPath {
  #seeds = $state.raw<number[]>([]);
  #mode = $state<InterpolationMode>('slerp');
  #framesPerSegment = $state(12);
  #path = $state.raw<LatentPath | null>(null);
  #frame = $state(0);
  #playing = $state(false);
  readonly #generator: () => GeneratorRef | null;
  readonly #truncation: () => number;
  readonly #report: (error: string | null) => void;
  readonly #request: LatestRequest;

  constructor(
    generator: () => GeneratorRef | null,
    truncation: () => number,
    report: (error: string | null) => void,
  ) {
    this.#generator = generator;
    this.#truncation = truncation;
    this.#report = report;
    this.#request = new LatestRequest(report);
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
  get loading(): boolean {
    return this.#request.loading;
  }
  get frame(): number {
    return this.#frame;
  }
  get playing(): boolean {
    return this.#playing;
  }
  /** Total frames the path will have. */
  get frameCount(): number {
    return this.#seeds.length < 2 ? 0 : (this.#seeds.length - 1) * this.#framesPerSegment + 1;
  }

  /** The path as it stands (playback aside), for restore. */
  snapshot(): PathMemory {
    return {
      seeds: this.#seeds,
      mode: this.#mode,
      framesPerSegment: this.#framesPerSegment,
      path: this.#path,
      frame: this.#frame,
    };
  }

  /** Takes up a path where it was left; refresh() draws it again with the generator of now. */
  restore(memory: PathMemory): void {
    this.#seeds = memory.seeds;
    this.#mode = memory.mode;
    this.#framesPerSegment = memory.framesPerSegment;
    this.#path = memory.path;
    this.#frame = memory.frame;
  }

  /** What every path request names, or null while there is no path (fewer than two seeds). */
  request() {
    const ref = this.#generator();
    if (!ref || this.#seeds.length < 2) return null;
    return {
      ...ref,
      seeds: this.#seeds,
      mode: this.#mode,
      framesPerSegment: this.#framesPerSegment,
      truncation: this.#truncation(),
    };
  }

  /** Adds a seed to the path, or takes it out if it is the last one added (a second click). */
  toggleSeed(seed: number): void {
    if (this.#seeds.at(-1) === seed) this.#seeds = this.#seeds.slice(0, -1);
    else if (this.#seeds.length < 16) this.#seeds = [...this.#seeds, seed];
    else {
      this.#report('A path goes through at most 16 seeds: remove one first.');
      return;
    }
    this.refresh(0);
  }

  addSeeds(seeds: number[]): void {
    const next = [...this.#seeds, ...seeds];
    if (next.length > 16) {
      this.#report(`A path goes through at most 16 seeds; it has ${this.#seeds.length}.`);
      return;
    }
    this.#seeds = next;
    this.refresh(0);
  }

  removeSeedAt(index: number): void {
    this.#seeds = this.#seeds.filter((_, i) => i !== index);
    this.refresh(0);
  }

  clear(): void {
    this.#seeds = [];
    this.refresh(0);
  }

  setMode(mode: InterpolationMode): void {
    this.#mode = mode;
    this.refresh(0);
  }

  setFramesPerSegment(frames: number): void {
    if (!Number.isInteger(frames) || frames < 1 || frames > 120) return;
    this.#framesPerSegment = frames;
    this.refresh();
  }

  /** Draws the path again once its inputs settle, or empties it while it has under two seeds. */
  refresh(delay?: number): void {
    if (this.#seeds.length < 2) {
      this.#request.drop();
      this.#path = null;
      this.#playing = false;
      this.#frame = 0;
      return;
    }
    this.#request.schedule(() => this.load(), delay);
  }

  private async load(): Promise<void> {
    const request = this.request();
    if (!request) return;
    await this.#request.ask(
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

  /** Stops playback and a redraw still waiting: the explorer is going away. */
  stop(): void {
    this.#playing = false;
    this.#request.stop();
  }
}
