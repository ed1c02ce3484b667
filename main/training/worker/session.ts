import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { backendNames, type BackendName, type TrainConfig } from '../../../shared/config.js';
import { firstLineOf } from '../../../shared/errors.js';
import type { BackendStatus } from '../../../shared/types.js';
import { readCacheFile } from '../../datasets/cache-format.js';
import { selectBackend, type BackendOptions, type BackendSelection } from './backends.js';
import type { Checkpoint } from '../engine/checkpoint.js';
import { CheckpointDamaged, decodeCheckpoint, encodeCheckpoint } from '../checkpoint-file.js';
import type { TrainingImages } from '../engine/data.js';
import type { RgbImage } from '../engine/grid.js';
import { augments, GanTrainer, metricsFinite, type StepMetrics } from '../engine/trainer.js';
import { HealthMonitor } from '../engine/health.js';
import type { EndReason, FromWorker, StartMessage, ToWorker } from '../protocol.js';
import { writeFileAtomic } from '../../common/atomic-files.js';
import { checkpointFile, encodePng, sampleFile } from '../run-files.js';
import { metricsIntervalMs, SampleSchedule, swdFirstAfterMs, swdIntervalMs } from '../schedule.js';
import { diskFullRunMessage, isDiskFull } from '../../common/disk-space.js';

/**
 * The training loop around the engine, on the worker side of protocol.ts: picks the backend,
 * loads the cache, builds or restores the trainer, steps it, and writes samples and checkpoints.
 * Messages are handled between steps (the loop yields to the event loop after each one).
 *
 * Steps are pipelined: step N+1 is queued before step N's metrics are awaited, so a GPU never
 * waits for the CPU between steps. Samples and checkpoints are taken between steps with nothing
 * in flight, so they show exactly the state after the step they are labelled with.
 */

/** What the session needs of a trainer (GanTrainer; tests may stand in). */
export interface TrainerLike {
  readonly completedSteps: number;
  /** Queues one iteration; resolves with its metrics when the device has run it. */
  step(): Promise<StepMetrics>;
  /** The tiled sample grid and how varied its images are (quality.ts gridDiversity). */
  sampleGrid(): Promise<{ image: RgbImage; diversity: number }>;
  /** SWD ×10³ of generated against training images (quality.ts). */
  qualitySwd(): Promise<number>;
  exportCheckpoint(): Promise<Checkpoint>;
  dispose(): void;
}

export interface WorkerPort {
  postMessage(message: FromWorker): void;
  on(event: 'message', listener: (message: ToWorker) => void): unknown;
}

export interface SessionDeps {
  selectBackend(preference: 'auto' | BackendName, options?: BackendOptions): Promise<BackendSelection>;
  loadImages(cacheFile: string): Promise<TrainingImages>;
  createTrainer(
    config: TrainConfig,
    data: TrainingImages,
    datasetSize: number,
    resume: Checkpoint | null,
  ): TrainerLike;
}

export const defaultSessionDeps: SessionDeps = {
  selectBackend,
  async loadImages(cacheFile) {
    const cache = await readCacheFile(cacheFile).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === 'ENOENT') {
        throw new Error(`The training cache ${cacheFile} is missing. Rebuild the cache from the dataset.`);
      }
      throw error;
    });
    if (cache.channels !== 3)
      throw new Error(`The training cache has ${cache.channels} channels; training needs RGB (3).`);
    return { pixels: cache.pixels, count: cache.count, height: cache.height, width: cache.width };
  },
  createTrainer(config, data, datasetSize, resume) {
    return resume === null
      ? GanTrainer.create(config, data, datasetSize)
      : GanTrainer.fromCheckpoint(config, data, datasetSize, resume);
  },
};

/**
 * A backend is on probation for its first steps: if it throws (or returns non-finite losses on
 * the very first step, which no healthy backend does from freshly initialised weights), the run
 * starts over on the next backend instead of failing. Nothing is posted until probation passes,
 * so the run's curves and samples never mix two backends.
 */
export const probationSteps = 2;

/** Ends the loop early with a reason (the trainer stays usable). */
type LoopEnd = Exclude<EndReason, 'failed'>;

/** Thrown when the backend fails on probation; carries why. */
class BackendFailure extends Error {}

/** A step's metrics and the moment the device finished it. */
interface TimedStep {
  metrics: StepMetrics;
  endedAt: number;
}

/** An error of the file system or the OS, not of the backend: no reason to change backends. */
function systemError(error: unknown): boolean {
  return typeof (error as { syscall?: unknown } | null)?.syscall === 'string';
}

async function readCheckpoint(file: string): Promise<Checkpoint> {
  const resumeAgain =
    'Continue the run again (the studio then goes on from the newest checkpoint that verifies), or pick an earlier one with --from-step N.';
  const bytes = await fs.readFile(file).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'ENOENT') {
      throw new Error(`The checkpoint ${file} to resume from is missing. ${resumeAgain}`);
    }
    throw error;
  });
  try {
    return decodeCheckpoint(bytes);
  } catch (error) {
    if (error instanceof CheckpointDamaged)
      throw new Error(`The checkpoint ${file} is damaged: ${error.message}. ${resumeAgain}`);
    throw error;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The backends after `failed` in best-first order: where a run goes when `failed` breaks. */
function nextBackend(failed: BackendName): BackendName | null {
  return backendNames[backendNames.indexOf(failed) + 1] ?? null;
}

export class TrainingSession {
  private requested: 'pause' | 'stop' | null = null;
  private started = false;
  /** The step of the last sample grid written, so the run's end does not write it twice. */
  private lastSampleStep = -1;
  private health: HealthMonitor | null = null;
  /** Messages held back while the backend is on probation; null once it has passed. */
  private held: FromWorker[] | null = null;
  /** Resolves when the session has posted 'ended'. */
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly port: WorkerPort,
    private readonly deps: SessionDeps = defaultSessionDeps,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    port.on('message', (message) => this.onMessage(message));
  }

  private onMessage(message: ToWorker): void {
    if (message.type === 'start') {
      if (this.started) return;
      this.started = true;
      void this.run(message).finally(() => this.finish());
    } else {
      this.requested ??= message.type;
    }
  }

  private post(message: FromWorker): void {
    if (this.held !== null && message.type !== 'backend' && message.type !== 'ended') this.held.push(message);
    else this.port.postMessage(message);
  }

  private endProbation(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const message of held) this.port.postMessage(message);
  }

  private async run(start: StartMessage): Promise<void> {
    let preference = start.backend;
    const failures: BackendStatus[] = [];
    // Widened by hand: assignments inside the loop's try are invisible to the catch's narrowing.
    let trainer = null as TrainerLike | null;
    try {
      const data = await this.deps.loadImages(start.cacheFile);
      const resume = start.resumeFrom ? await readCheckpoint(start.resumeFrom) : null;
      for (;;) {
        const selection = await this.deps.selectBackend(preference, { threads: start.config.threads });
        const notes = [...failures, ...selection.notes];
        this.post(
          selection.threads === undefined
            ? { type: 'backend', backend: selection.backend, notes }
            : { type: 'backend', backend: selection.backend, notes, threads: selection.threads },
        );
        const fallback = nextBackend(selection.backend);
        // The last backend (cpu) has nothing to fall back to: it is not on probation.
        this.held = fallback === null ? null : [];
        try {
          trainer = this.deps.createTrainer(start.config, data, start.datasetSize, resume);
          const reason = await this.loop(start, trainer, resume === null);
          await this.end(start, trainer, reason);
          return;
        } catch (error) {
          if (this.held === null || fallback === null || systemError(error)) throw error;
          const why = error instanceof BackendFailure ? error.message : firstLineOf(error);
          this.held = null;
          failures.push({
            name: selection.backend,
            available: false,
            runtime: true,
            reason: `It started, then failed in its first steps (${why}); training continues on the next backend.`,
          });
          this.disposeQuietly(trainer);
          trainer = null;
          preference = fallback;
        }
      }
    } catch (error) {
      this.endProbation();
      if (isDiskFull(error)) {
        this.post({
          type: 'ended',
          reason: 'paused',
          step: trainer?.completedSteps ?? 0,
          error: diskFullRunMessage,
        });
        return;
      }
      this.post({
        type: 'ended',
        reason: 'failed',
        step: trainer?.completedSteps ?? 0,
        error: `Training failed: ${firstLineOf(error)}`,
      });
    } finally {
      this.disposeQuietly(trainer);
    }
  }

  private disposeQuietly(trainer: TrainerLike | null): void {
    try {
      trainer?.dispose();
    } catch {
      // A broken backend may fail to free its memory too; the worker exits at the end anyway.
    }
  }

  private async end(
    start: StartMessage,
    trainer: TrainerLike,
    loop: { reason: LoopEnd; step: number },
  ): Promise<void> {
    const { reason, step } = loop;
    this.endProbation();
    if (reason === 'diverged') {
      this.post({
        type: 'ended',
        reason,
        step,
        error:
          `Training diverged at step ${step}: a loss became NaN, infinite or absurdly large. ` +
          'Lower the learning rates (halve lrD and lrG), or turn DiffAugment on for a small dataset, ' +
          'then resume from the last checkpoint (it predates the divergence) or start a new run.',
      });
      return;
    }
    try {
      // Paused or stopped, the user waits: the checkpoint first, and no quality point (seconds
      // of generating and measuring); a run that finished gets its last one.
      if (reason === 'finished') await this.writeQuality(trainer);
      await this.writeCheckpoint(start.runDir, trainer);
      // The run's last grid, unless the loop just wrote this step's: a paused or stopped run's
      // page shows what it has learnt up to where it stopped.
      if (this.lastSampleStep !== trainer.completedSteps) await this.writeSample(start.runDir, trainer);
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      this.post({ type: 'ended', reason: 'paused', step: trainer.completedSteps, error: diskFullRunMessage });
      return;
    }
    this.post({ type: 'ended', reason, step: trainer.completedSteps });
  }

  private async loop(
    start: StartMessage,
    trainer: TrainerLike,
    fresh: boolean,
  ): Promise<{ reason: LoopEnd; step: number }> {
    const { config, runDir } = start;
    this.health = new HealthMonitor({
      datasetSize: start.datasetSize,
      resolution: config.resolution,
      augmenting: augments(config, start.datasetSize),
    });
    if (fresh) {
      for (const warning of this.health.start(0)) this.post({ type: 'warning', warning });
      await this.writeSample(runDir, trainer);
    }
    let nextQualityAt = Date.now() + swdFirstAfterMs;
    const firstStep = trainer.completedSteps + 1;
    let lastCheckpoint = Date.now();
    // Speed is measured between the moments steps really end (their metrics' promise resolving),
    // not when the loop reads them: with steps pipelined one ahead, two steps' metrics are often
    // read back to back, and a window measured by reading would last no time at all.
    let windowFrom = performance.now();
    let windowSteps = 0;
    const samples = new SampleSchedule(config.sampleEvery);
    let inFlight: Promise<TimedStep> | null = null;

    /** Takes the in-flight step's metrics and posts them; false if training diverged there. */
    const settle = async (): Promise<StepMetrics | null> => {
      if (inFlight === null) return null;
      const pending = inFlight;
      inFlight = null;
      const { metrics: m, endedAt } = await pending;
      windowSteps++;
      if (this.held !== null) {
        if (m.step === firstStep && !metricsFinite(m)) {
          throw new BackendFailure('its first step gave non-finite losses');
        }
        if (m.step >= firstStep + probationSteps - 1) this.endProbation();
      }
      if (!metricsFinite(m)) return m;
      for (const warning of this.health?.observe(m) ?? []) this.post({ type: 'warning', warning });
      const window = endedAt - windowFrom;
      const due =
        m.step % config.metricsEvery === 0 || m.step === config.steps || window >= metricsIntervalMs;
      if (!due) return m;
      // Steps take time, so a window between two steps' ends always lasts; never divide by zero.
      const imagesPerSecond = window > 0 ? (windowSteps * config.batchSize * 1000) / window : null;
      this.post({
        type: 'metrics',
        step: m.step,
        wallTime: Date.now(),
        values: {
          dLoss: m.dLoss,
          gLoss: m.gLoss,
          dReal: m.dReal,
          dFake: m.dFake,
          dFakeAfter: m.dFakeAfter,
          // Wall time per step over the window, between the steps' ends: what the user waits.
          ...(imagesPerSecond !== null ? { stepMs: window / windowSteps, imagesPerSecond } : {}),
          // Memory of the worker, so a leak or a too-large batch shows on the run's charts.
          tensors: tf.memory().numTensors,
          rssMB: process.memoryUsage().rss / 2 ** 20,
        },
      });
      if (imagesPerSecond !== null) {
        this.post({ type: 'progress', step: m.step, imagesPerSecond });
        windowFrom = endedAt;
        windowSteps = 0;
      }
      return m;
    };
    const diverged = (m: StepMetrics | null): m is StepMetrics => m !== null && !metricsFinite(m);

    while (trainer.completedSteps < config.steps) {
      await yieldToEventLoop();
      if (this.requested !== null) {
        const m = await settle();
        if (diverged(m)) return { reason: 'diverged', step: m.step };
        return { reason: this.requested === 'pause' ? 'paused' : 'stopped', step: trainer.completedSteps };
      }
      const next = trainer.step().then((metrics) => ({ metrics, endedAt: performance.now() }));
      // Keep a rejection of the queued step from going unhandled while the previous one settles.
      next.catch(() => undefined);
      const m = await settle();
      inFlight = next;
      if (diverged(m)) {
        await next.catch(() => undefined);
        return { reason: 'diverged', step: m.step };
      }
      const step = trainer.completedSteps;
      const sampleDue = samples.due(step);
      const checkpointDue =
        Date.now() - lastCheckpoint >= config.checkpointMinutes * 60_000 && step < config.steps;
      const qualityDue = Date.now() >= nextQualityAt && step < config.steps;
      if (sampleDue || checkpointDue || qualityDue) {
        const last = await settle();
        if (diverged(last)) return { reason: 'diverged', step: last.step };
        if (sampleDue) {
          await this.writeSample(runDir, trainer);
          samples.taken();
        }
        if (qualityDue) {
          await this.writeQuality(trainer);
          nextQualityAt = Date.now() + swdIntervalMs;
        }
        if (checkpointDue) {
          await this.writeCheckpoint(runDir, trainer);
          lastCheckpoint = Date.now();
        }
      }
    }
    const last = await settle();
    if (diverged(last)) return { reason: 'diverged', step: last.step };
    return { reason: 'finished', step: trainer.completedSteps };
  }

  private async writeSample(runDir: string, trainer: TrainerLike): Promise<void> {
    const step = trainer.completedSteps;
    const file = sampleFile(step);
    const { image, diversity } = await trainer.sampleGrid();
    await writeFileAtomic(path.join(runDir, file), await encodePng(image));
    this.lastSampleStep = step;
    this.post({ type: 'sample', step, file });
    this.post({ type: 'metrics', step, wallTime: Date.now(), values: { diversity } });
    for (const warning of this.health?.observeDiversity(step, diversity) ?? []) {
      this.post({ type: 'warning', warning });
    }
  }

  /** The quality curve's point: SWD of generated to training images (engine/swd.ts). */
  private async writeQuality(trainer: TrainerLike): Promise<void> {
    const swd = await trainer.qualitySwd();
    this.post({ type: 'metrics', step: trainer.completedSteps, wallTime: Date.now(), values: { swd } });
  }

  private async writeCheckpoint(runDir: string, trainer: TrainerLike): Promise<void> {
    const step = trainer.completedSteps;
    const file = checkpointFile(step);
    await writeFileAtomic(path.join(runDir, file), encodeCheckpoint(await trainer.exportCheckpoint()));
    this.post({ type: 'checkpoint', step, file });
  }
}
