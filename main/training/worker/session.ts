import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import type { BackendName, TrainConfig } from '../../../shared/config.js';
import { readCacheFile } from '../../datasets/cache-format.js';
import { selectBackend, type BackendOptions, type BackendSelection } from './backends.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../engine/checkpoint.js';
import type { TrainingImages } from '../engine/data.js';
import type { RgbImage } from '../engine/grid.js';
import { GanTrainer, metricsFinite, type StepMetrics } from '../engine/trainer.js';
import type { EndReason, FromWorker, StartMessage, ToWorker } from '../protocol.js';
import { writeFileAtomic } from '../../atomic-files.js';
import { checkpointFile, encodePng, sampleFile } from '../run-files.js';

/**
 * The training loop around the engine, on the worker side of protocol.ts: picks the backend,
 * loads the cache, builds or restores the trainer, steps it, and writes samples and checkpoints.
 * Messages are handled between steps (the loop yields to the event loop after each one).
 */

/** What the session needs of a trainer (GanTrainer; tests may stand in). */
export interface TrainerLike {
  readonly completedSteps: number;
  step(): StepMetrics;
  sampleGrid(): RgbImage;
  exportCheckpoint(): Checkpoint;
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readCheckpoint(file: string): Promise<Checkpoint> {
  const bytes = await fs.readFile(file).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'ENOENT') {
      throw new Error(
        `The checkpoint ${file} to resume from is missing. Start the run again from its latest checkpoint.`,
      );
    }
    throw error;
  });
  return decodeCheckpoint(bytes);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class TrainingSession {
  private requested: 'pause' | 'stop' | null = null;
  private started = false;
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
    this.port.postMessage(message);
  }

  private async run(start: StartMessage): Promise<void> {
    let trainer: TrainerLike | null = null;
    try {
      const { backend, notes, threads } = await this.deps.selectBackend(start.backend, {
        threads: start.config.threads,
      });
      this.post(
        threads === undefined
          ? { type: 'backend', backend, notes }
          : { type: 'backend', backend, notes, threads },
      );
      const data = await this.deps.loadImages(start.cacheFile);
      const resume = start.resumeFrom ? await readCheckpoint(start.resumeFrom) : null;
      trainer = this.deps.createTrainer(start.config, data, start.datasetSize, resume);
      const reason = await this.loop(start, trainer, resume === null);
      if (reason !== 'diverged') await this.writeCheckpoint(start.runDir, trainer);
      if (reason === 'finished') {
        // The end-of-run sample, unless the loop just wrote this step's.
        if (trainer.completedSteps % start.config.sampleEvery !== 0)
          await this.writeSample(start.runDir, trainer);
      }
      if (reason === 'diverged') {
        this.post({
          type: 'ended',
          reason,
          step: trainer.completedSteps,
          error:
            `Training diverged at step ${trainer.completedSteps}: a loss became NaN or infinite. ` +
            'Lower the learning rates (halve lrD and lrG), or turn DiffAugment on for a small dataset, ' +
            'then resume from the last checkpoint (it predates the divergence) or start a new run.',
        });
      } else {
        this.post({ type: 'ended', reason, step: trainer.completedSteps });
      }
    } catch (error) {
      this.post({
        type: 'ended',
        reason: 'failed',
        step: trainer?.completedSteps ?? 0,
        error: `Training failed: ${messageOf(error)}`,
      });
    } finally {
      trainer?.dispose();
    }
  }

  private async loop(start: StartMessage, trainer: TrainerLike, fresh: boolean): Promise<EndReason> {
    const { config, runDir } = start;
    if (fresh) await this.writeSample(runDir, trainer);
    let lastCheckpoint = Date.now();
    let windowStart = performance.now();
    let windowSteps = 0;
    let windowStepMs = 0;
    while (trainer.completedSteps < config.steps) {
      await yieldToEventLoop();
      if (this.requested !== null) return this.requested === 'pause' ? 'paused' : 'stopped';
      const m = trainer.step();
      if (!metricsFinite(m)) return 'diverged';
      windowSteps++;
      windowStepMs += m.stepMs;
      if (m.step % config.metricsEvery === 0 || m.step === config.steps) {
        const seconds = (performance.now() - windowStart) / 1000;
        const imagesPerSecond = seconds > 0 ? (windowSteps * config.batchSize) / seconds : 0;
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
            stepMs: windowStepMs / windowSteps,
            imagesPerSecond,
            // Memory of the worker, so a leak or a too-large batch shows on the run's charts.
            tensors: tf.memory().numTensors,
            rssMB: process.memoryUsage().rss / 2 ** 20,
          },
        });
        this.post({ type: 'progress', step: m.step, imagesPerSecond });
        windowStart = performance.now();
        windowSteps = 0;
        windowStepMs = 0;
      }
      if (m.step % config.sampleEvery === 0) await this.writeSample(runDir, trainer);
      if (Date.now() - lastCheckpoint >= config.checkpointMinutes * 60_000 && m.step < config.steps) {
        await this.writeCheckpoint(runDir, trainer);
        lastCheckpoint = Date.now();
      }
    }
    return 'finished';
  }

  private async writeSample(runDir: string, trainer: TrainerLike): Promise<void> {
    const step = trainer.completedSteps;
    const file = sampleFile(step);
    await writeFileAtomic(path.join(runDir, file), await encodePng(trainer.sampleGrid()));
    this.post({ type: 'sample', step, file });
  }

  private async writeCheckpoint(runDir: string, trainer: TrainerLike): Promise<void> {
    const step = trainer.completedSteps;
    const file = checkpointFile(step);
    await writeFileAtomic(path.join(runDir, file), encodeCheckpoint(trainer.exportCheckpoint()));
    this.post({ type: 'checkpoint', step, file });
  }
}
