import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { maxSeed } from '../../../shared/config.js';
import { ApiError } from '../../../shared/errors.js';
import type { Emit } from '../../../shared/events.js';
import type { ParsedInput } from '../../../shared/api.js';
import type { GenerationJob } from '../../../shared/types.js';
import {
  diskFullMessage,
  generationSpaceNeed,
  isDiskFull,
  requireFreeSpace,
} from '../../common/disk-space.js';
import { dataPaths } from '../../common/paths.js';
import { clearIncomplete, makeNewFolder, markIncomplete, slug, stamp } from '../files.js';
import type { LatentWorkerData } from '../protocol.js';
import type { GeneratorSources } from './sources.js';
import { LatentThread } from './thread.js';

/** Progress events per job at most this often (the UI's ~10/s). */
const progressIntervalMs = 100;
/** Finished jobs remembered for the UI. */
const keptJobs = 20;

export interface GenerationJobsOptions {
  dataDir: string;
  emit: Emit;
  /** Written into manifests, e.g. "GAN Studio 0.1.0". */
  generatedBy: string;
  workerData: LatentWorkerData;
}

interface RunningJob {
  job: GenerationJob;
  thread: LatentThread;
  requestId: number;
  cancelRequested: boolean;
  lastEmit: number;
  timer: NodeJS.Timeout | null;
  /** When the first batch was written, and how many images it held. */
  firstProgress: { at: number; done: number } | null;
  done: Promise<void>;
}

/**
 * Generated data sets: one at a time, each in its own worker thread, with progress and an ETA;
 * a set is complete exactly when its manifest is written, and a cancelled or failed one leaves
 * nothing behind. The last few jobs are kept for the UI.
 */
export class GenerationJobs {
  private readonly jobs: RunningJob[] = [];
  private closing = false;

  constructor(
    private readonly opts: GenerationJobsOptions,
    private readonly sources: GeneratorSources,
  ) {}

  listJobs(): GenerationJob[] {
    return this.jobs.map((j) => ({ ...j.job })).reverse();
  }

  private findJob(jobId: string): RunningJob {
    const found = this.jobs.find((j) => j.job.id === jobId);
    if (!found) {
      throw new ApiError(
        'not_found',
        `There is no data set generation "${jobId}" in this session. It may have ended before the studio restarted.`,
        'jobId',
      );
    }
    return found;
  }

  generate(input: ParsedInput<'latent.generate'>): GenerationJob {
    if (this.closing)
      throw new ApiError('unavailable', 'GAN Studio is closing; start the generation again later.');
    const { run, source } = this.sources.resolve(input);
    if (input.seedStart + input.count - 1 > maxSeed) {
      throw new ApiError(
        'invalid_input',
        `Seeds run from ${input.seedStart} to ${input.seedStart + input.count - 1}, past the largest seed (${maxSeed}). Start from a lower seed.`,
        'seedStart',
      );
    }
    const running = this.jobs.find((j) => j.job.status === 'running');
    if (running) {
      throw new ApiError(
        'conflict',
        `A data set is already being generated (${running.job.done} of ${running.job.count} images from "${running.job.runName}"). ` +
          'Wait for it to finish, or cancel it, then start this one.',
      );
    }
    const root = dataPaths.generatedRoot(this.opts.dataDir);
    requireFreeSpace(root, generationSpaceNeed(input.count, run.config.resolution));
    const name = `${stamp()}-${slug(run.name)}-step${source.step}-${input.count}`;
    let folder: string;
    try {
      folder = makeNewFolder(root, name);
      markIncomplete(folder);
    } catch (error) {
      if (isDiskFull(error)) throw new ApiError('unavailable', diskFullMessage);
      throw error;
    }
    const job: GenerationJob = {
      id: `gen-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      runId: run.id,
      runName: run.name,
      step: source.step,
      weights: source.weights,
      count: input.count,
      seedStart: input.seedStart,
      truncation: input.truncation,
      folder,
      status: 'running',
      done: 0,
      imagesPerSecond: 0,
      etaSeconds: null,
      backend: null,
      startedAt: Date.now(),
      finishedAt: null,
      error: null,
    };
    const thread = new LatentThread(this.opts.workerData, `latent-${job.id}`, () => undefined);
    const entry: RunningJob = {
      job,
      thread,
      requestId: 0,
      cancelRequested: false,
      lastEmit: 0,
      timer: null,
      firstProgress: null,
      done: Promise.resolve(),
    };
    const { id, result } = thread.request(
      {
        kind: 'generate-set',
        source,
        seedStart: input.seedStart,
        count: input.count,
        truncation: input.truncation,
        folder,
        description: { run: { id: run.id, name: run.name }, generatedBy: this.opts.generatedBy },
      },
      (done) => this.progress(entry, done),
    );
    entry.requestId = id;
    entry.done = result.then(
      (r) => this.settle(entry, r.kind === 'set' && !r.cancelled ? 'finished' : 'cancelled', null),
      (error: unknown) =>
        entry.cancelRequested
          ? this.settle(entry, 'cancelled', null)
          : this.settle(
              entry,
              'failed',
              isDiskFull(error)
                ? `${diskFullMessage} The partial set was removed.`
                : `${(error as Error).message} The partial set was removed; try again.`,
            ),
    );
    this.jobs.push(entry);
    if (this.jobs.length > keptJobs) {
      const old = this.jobs.findIndex((j) => j.job.status !== 'running');
      if (old >= 0) this.jobs.splice(old, 1);
    }
    this.opts.emit('latent.job', { job: { ...job } });
    return { ...job };
  }

  private progress(entry: RunningJob, done: number): void {
    const { job } = entry;
    const now = Date.now();
    job.done = done;
    job.backend ??= entry.thread.backend;
    // The rate from the first batch on: the worker's start (backend, checkpoint) is not a rate.
    entry.firstProgress ??= { at: now, done };
    const from = entry.firstProgress;
    const seconds = from.done === done ? (now - job.startedAt) / 1000 : (now - from.at) / 1000;
    const images = from.done === done ? done : done - from.done;
    job.imagesPerSecond = seconds > 0 ? images / seconds : 0;
    job.etaSeconds = job.imagesPerSecond > 0 ? (job.count - done) / job.imagesPerSecond : null;
    const wait = entry.lastEmit + progressIntervalMs - Date.now();
    if (wait <= 0) this.emitProgress(entry);
    else entry.timer ??= setTimeout(() => this.emitProgress(entry), wait);
  }

  private emitProgress(entry: RunningJob): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    entry.lastEmit = Date.now();
    const { job } = entry;
    this.opts.emit('latent.progress', {
      jobId: job.id,
      done: job.done,
      total: job.count,
      imagesPerSecond: job.imagesPerSecond,
      etaSeconds: job.etaSeconds,
    });
  }

  private async settle(
    entry: RunningJob,
    status: GenerationJob['status'],
    error: string | null,
  ): Promise<void> {
    const { job } = entry;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    job.backend ??= entry.thread.backend;
    await entry.thread.terminate().catch(() => undefined);
    try {
      if (status === 'finished') {
        clearIncomplete(job.folder);
        job.done = job.count;
      } else {
        // No manifest was written; the images without one are no data set: leave nothing behind.
        fs.rmSync(job.folder, { recursive: true, force: true });
      }
    } catch (err) {
      // The set's status still goes out; its folder is tidied at the next start (files.ts).
      console.error(`[latent] could not tidy ${job.folder}:`, (err as Error).message);
    }
    job.status = status;
    job.error = error;
    job.etaSeconds = status === 'finished' ? 0 : null;
    job.finishedAt = Date.now();
    this.emitProgress(entry);
    this.opts.emit('latent.job', { job: { ...job } });
  }

  async cancel(jobId: string): Promise<GenerationJob> {
    const entry = this.findJob(jobId);
    if (entry.job.status === 'running') {
      entry.cancelRequested = true;
      entry.thread.cancel(entry.requestId);
      await entry.done;
    }
    return { ...entry.job };
  }

  /** Resolves when the job has ended (for the CLI and tests). */
  async whenDone(jobId: string): Promise<GenerationJob> {
    const entry = this.findJob(jobId);
    await entry.done;
    return { ...entry.job };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.jobs
        .filter((j) => j.job.status === 'running')
        .map((j) => this.cancel(j.job.id).catch(() => undefined)),
    );
  }
}
