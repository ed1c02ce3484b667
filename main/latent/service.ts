import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { BackendName, TrainConfig } from '../../shared/config.js';
import { ApiError } from '../../shared/errors.js';
import type { Emit } from '../../shared/events.js';
import type { ParsedInput } from '../../shared/api.js';
import type {
  ExportedFile,
  GenerationJob,
  GeneratorWeights,
  LatentExport,
  LatentGenerator,
  LatentPath,
  LatentRun,
  LatentSamples,
  MemorisationCheck,
  ModelExport,
} from '../../shared/types.js';
import { contentTypeOf } from '../api/media.js';
import { diskFullMessage, isDiskFull } from '../disk-space.js';
import { toCheckpointInfo, type RunStore, type RunRecord } from '../store/runs.js';
import { runFolder } from '../training/host/manager.js';
import { maxSeed } from '../training/engine/latent.js';
import { startWorker } from '../worker-start.js';
import {
  clearIncomplete,
  exportsFolder,
  generatedDirName,
  makeNewFolder,
  markIncomplete,
  recoverLatentFiles,
  slug,
  stamp,
} from './files.js';
import type {
  FromLatentWorker,
  GeneratorSource,
  LatentRequest,
  LatentResult,
  LatentWorkerData,
  PathSpec,
  ToLatentWorker,
} from './protocol.js';

/**
 * The latent explorer's side of the API: a run's generator, from any of its checkpoints, asked for
 * samples, paths, exports, generated data sets, memorisation checks and model exports. All the
 * work happens in worker threads (worker/latent-worker.ts) on the best backend; this class picks
 * the checkpoint and every output path (files.ts), relays progress and keeps the UI's jobs.
 *
 * One worker serves the explorer's requests and is let go when idle; each generated data set runs
 * in its own worker, so a long generation neither waits behind nor holds up the explorer.
 */

export interface LatentServiceOptions {
  runs: RunStore;
  dataDir: string;
  emit: Emit;
  /** The run's dataset cache at these settings (built if needed): the memorisation check's images. */
  trainingCache(
    datasetId: string,
    settings: { resolution: number; crop: TrainConfig['crop']; flip: boolean },
  ): Promise<{ file: string; count: number }>;
  datasetName(datasetId: string): string | null;
  /** Written into manifests and exported models, e.g. "GAN Studio 0.1.0". */
  generatedBy: string;
  /** Backend for generator workers: 'auto' (the best that loads) unless a test pins one. */
  backend?: 'auto' | BackendName;
  /** CPU threads for wasm, as TrainConfig.threads (0 = auto). */
  threads?: number;
  /** How long the explorer's worker waits for the next request before it is let go. */
  idleMs?: number;
}

type Ref = { runId: string; step?: number | undefined; weights?: GeneratorWeights | undefined };

/** Raw pixels an animation may hold in memory while encoded. */
const maxAnimationBytes = 256 * 1024 * 1024;
/** Progress events per job at most this often (the UI's ~10/s). */
const progressIntervalMs = 100;
/** Finished jobs remembered for the UI. */
const keptJobs = 20;

interface Pending {
  resolve(result: LatentResult): void;
  reject(error: Error): void;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** One worker thread and its requests in flight. */
class LatentThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;
  backend: BackendName | null = null;

  constructor(data: LatentWorkerData, name: string, onIdle: () => void) {
    this.worker = startWorker(new URL('./worker/worker', import.meta.url), { workerData: data, name });
    this.worker.on('message', (message: FromLatentWorker) => {
      if (message.type === 'backend') {
        this.backend = message.backend;
        return;
      }
      const pending = this.pending.get(message.id);
      if (!pending) return;
      if (message.type === 'progress') {
        pending.onProgress?.(message.done, message.total);
        return;
      }
      this.pending.delete(message.id);
      if (message.type === 'result') pending.resolve(message.result);
      else pending.reject(workerError(message.message));
      if (this.pending.size === 0) onIdle();
    });
    const failAll = (error: Error) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (err) =>
      failAll(
        new ApiError(
          'internal',
          `The generator worker crashed (${err.message}). Try again; with a large run, ask for fewer images at once.`,
        ),
      ),
    );
    this.worker.on('exit', (code) =>
      failAll(
        new ApiError(
          'unavailable',
          code === 0 || code === 1
            ? 'The generator worker was stopped (the studio is closing, or the work was cancelled).'
            : `The generator worker exited unexpectedly (code ${code}). Try again.`,
        ),
      ),
    );
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  get alive(): boolean {
    return !this.exited;
  }

  request(
    request: LatentRequest,
    onProgress?: (done: number, total: number) => void,
  ): { id: number; result: Promise<LatentResult> } {
    const id = this.nextId++;
    const result = new Promise<LatentResult>((resolve, reject) => {
      if (this.exited) {
        reject(new ApiError('unavailable', 'The generator worker has stopped. Try again.'));
        return;
      }
      this.pending.set(id, { resolve, reject, onProgress });
    });
    if (!this.exited) this.worker.postMessage({ type: 'request', id, request } satisfies ToLatentWorker);
    return { id, result };
  }

  cancel(id: number): void {
    if (!this.exited) this.worker.postMessage({ type: 'cancel', id } satisfies ToLatentWorker);
  }

  async terminate(): Promise<void> {
    this.exited = true;
    await this.worker.terminate();
  }
}

/** A worker's message as an API error: what failed, in the worker's words, and what to do. */
function workerError(message: string): ApiError {
  if (/ENOSPC|EDQUOT|no space left/i.test(message)) return new ApiError('unavailable', diskFullMessage);
  if (/checkpoint .* is gone/i.test(message)) return new ApiError('not_found', message);
  return new ApiError('internal', `Generating failed: ${message}`);
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

function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}

/** The path a request names, without what else it carries (the worker would be sent it all). */
function pathSpec({ seeds, mode, framesPerSegment, truncation }: PathSpec): PathSpec {
  return { seeds, mode, framesPerSegment, truncation };
}

/** /media/exports/<runId>/<name>[/<file>]: how the UI shows or downloads an export. */
export function exportUrl(runId: string, ...names: string[]): string {
  return `/media/exports/${[runId, ...names].map(encodeURIComponent).join('/')}`;
}

export class LatentService {
  private interactive: LatentThread | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly jobs: RunningJob[] = [];
  private closing = false;

  constructor(private readonly opts: LatentServiceOptions) {
    recoverLatentFiles(opts.dataDir);
  }

  private workerData(): LatentWorkerData {
    return { backend: this.opts.backend ?? 'auto', threads: this.opts.threads ?? 0 };
  }

  // ---- runs and their generators ----------------------------------------------------------------

  runs(): LatentRun[] {
    return this.opts.runs
      .list()
      .map((run) => ({ run, checkpoints: this.opts.runs.checkpoints(run.id) }))
      .filter(({ checkpoints }) => checkpoints.length > 0)
      .map(({ run, checkpoints }) => ({
        id: run.id,
        name: run.name,
        status: run.status,
        resolution: run.config.resolution,
        latentSize: run.config.latentSize,
        ema: run.config.emaDecay > 0,
        datasetId: run.datasetId,
        datasetName: run.datasetName,
        checkpoints: checkpoints.map(toCheckpointInfo),
        createdAt: run.createdAt,
      }));
  }

  private requireRun(runId: string): RunRecord {
    const run = this.opts.runs.get(runId);
    if (!run) {
      throw new ApiError(
        'not_found',
        `There is no run "${runId}". It may have been deleted; choose another run.`,
        'runId',
      );
    }
    return run;
  }

  /** The checkpoint file and weights a request names: the latest checkpoint and EMA by default. */
  private source(ref: Ref): { run: RunRecord; source: GeneratorSource } {
    const run = this.requireRun(ref.runId);
    const checkpoints = this.opts.runs.checkpoints(run.id);
    if (checkpoints.length === 0) {
      throw new ApiError(
        'conflict',
        `Run "${run.name}" has no checkpoint yet, so it has no generator to explore. A checkpoint is written every ` +
          `${run.config.checkpointMinutes} min while it trains and whenever it pauses or stops.`,
        'runId',
      );
    }
    const checkpoint =
      ref.step === undefined ? checkpoints.at(-1)! : checkpoints.find((c) => c.step === ref.step);
    if (!checkpoint) {
      throw new ApiError(
        'not_found',
        `Run "${run.name}" has no checkpoint at step ${ref.step}; it has ${checkpoints.map((c) => c.step).join(', ')}. ` +
          'Older checkpoints are pruned unless starred.',
        'step',
      );
    }
    const file = path.join(runFolder(this.opts.dataDir, run.id), checkpoint.file);
    if (!fs.existsSync(file)) {
      throw new ApiError(
        'not_found',
        `The checkpoint at step ${checkpoint.step} of run "${run.name}" is missing from its folder. Choose another checkpoint.`,
        'step',
      );
    }
    const weights: GeneratorWeights = ref.weights ?? (run.config.emaDecay > 0 ? 'ema' : 'g');
    return { run, source: { runId: run.id, checkpointFile: file, step: checkpoint.step, weights } };
  }

  private describe(source: GeneratorSource, result: LatentResult): LatentGenerator {
    return {
      runId: source.runId,
      step: source.step,
      weights: source.weights,
      resolution: result.info.resolution,
      latentSize: result.info.latentSize,
      backend: result.info.backend,
    };
  }

  // ---- the explorer's worker --------------------------------------------------------------------

  private thread(): LatentThread {
    if (this.closing) {
      throw new ApiError('unavailable', 'GAN Studio is closing; the generator cannot start now.');
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.interactive?.alive) {
      this.interactive = new LatentThread(this.workerData(), 'latent-explorer', () => this.scheduleIdle());
    }
    return this.interactive;
  }

  /** Lets the explorer's worker go once nothing has been asked of it for a while. */
  private scheduleIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      const thread = this.interactive;
      if (thread && !thread.busy) {
        this.interactive = null;
        void thread.terminate();
      }
    }, this.opts.idleMs ?? 60_000);
    this.idleTimer.unref();
  }

  private async ask<K extends LatentResult['kind']>(
    request: LatentRequest,
    kind: K,
  ): Promise<Extract<LatentResult, { kind: K }>> {
    let result: LatentResult;
    try {
      result = await this.thread().request(request).result;
    } catch (error) {
      if (isDiskFull(error)) throw new ApiError('unavailable', diskFullMessage);
      throw error;
    }
    if (result.kind !== kind) throw new Error(`The generator worker answered ${result.kind}, not ${kind}.`);
    return result as Extract<LatentResult, { kind: K }>;
  }

  // ---- explorer ---------------------------------------------------------------------------------

  async samples(input: ParsedInput<'latent.samples'>): Promise<LatentSamples> {
    const { source } = this.source(input);
    const result = await this.ask(
      { kind: 'samples', source, seeds: input.seeds, truncation: input.truncation },
      'samples',
    );
    return {
      ...this.describe(source, result),
      truncation: input.truncation,
      images: result.images.map((png, i) => ({ seed: input.seeds[i]!, url: pngDataUrl(png) })),
    };
  }

  async path(input: ParsedInput<'latent.path'>): Promise<LatentPath> {
    const { source } = this.source(input);
    const spec = pathSpec(input);
    const result = await this.ask({ kind: 'path', source, path: spec }, 'path');
    return {
      ...this.describe(source, result),
      ...spec,
      frames: result.frames.map((f, index) => ({
        index,
        segment: f.segment,
        t: f.t,
        keyframe: f.keyframe,
        url: pngDataUrl(f.png),
      })),
    };
  }

  // ---- exports ----------------------------------------------------------------------------------

  /**
   * Removes a deleted run's exports: they are reached only through the run (the explorer lists and
   * serves them by run), so they would be left on disk where no one could find them. Generated
   * sets stay: they stand on their own and may have been added as datasets.
   */
  forgetRun(runId: string): void {
    fs.rmSync(exportsFolder(this.opts.dataDir, runId), { recursive: true, force: true });
  }

  /** A new file name in the run's exports folder: <stamp>-<run>-step<N>-<what>.<ext>. */
  private exportFile(run: RunRecord, step: number, what: string, ext: string): string {
    const folder = exportsFolder(this.opts.dataDir, run.id);
    fs.mkdirSync(folder, { recursive: true });
    return path.join(folder, `${stamp()}-${slug(run.name)}-step${step}-${what}.${ext}`);
  }

  private exported(run: RunRecord, file: string, bytes: number): ExportedFile {
    const fileName = path.basename(file);
    return { fileName, path: file, url: exportUrl(run.id, fileName), mimeType: contentTypeOf(file), bytes };
  }

  async exportPath(input: ParsedInput<'latent.export'>): Promise<LatentExport> {
    const { run, source } = this.source(input);
    const frames = (input.seeds.length - 1) * input.framesPerSegment + 1;
    const side = run.config.resolution * input.scale;
    if (frames * side * side * 3 > maxAnimationBytes) {
      throw new ApiError(
        'invalid_input',
        `${frames} frames of ${side}×${side} px are too many to encode at once. Lower the scale or the frames per segment.`,
        'scale',
      );
    }
    const ext = input.format === 'strip' ? 'png' : input.format;
    const seeds = input.seeds.length > 6 ? `${input.seeds.slice(0, 6).join('-')}-etc` : input.seeds.join('-');
    const what = `${input.format === 'strip' ? 'strip' : 'walk'}-${input.mode}-${seeds}`;
    return this.writeExport(run, {
      kind: 'export-animation',
      source,
      path: pathSpec(input),
      format: input.format,
      frameMs: input.frameMs,
      scale: input.scale,
      file: this.exportFile(run, source.step, what, ext),
    });
  }

  async exportSample(input: ParsedInput<'latent.exportSample'>): Promise<LatentExport> {
    const { run, source } = this.source(input);
    return this.writeExport(run, {
      kind: 'export-sample',
      source,
      seed: input.seed,
      truncation: input.truncation,
      scale: input.scale,
      file: this.exportFile(run, source.step, `seed${input.seed}`, 'png'),
    });
  }

  /** Has the worker write one image export, and describes the file as the explorer lists it. */
  private async writeExport(
    run: RunRecord,
    request: Extract<LatentRequest, { kind: 'export-animation' | 'export-sample' }>,
  ): Promise<LatentExport> {
    const result = await this.ask(request, 'file');
    return {
      ...this.describe(request.source, result),
      ...this.exported(run, request.file, result.bytes),
      frames: result.frames,
      width: result.width,
      height: result.height,
    };
  }

  async exportModel(input: ParsedInput<'latent.exportModel'>): Promise<ModelExport> {
    const { run, source } = this.source(input);
    const parent = exportsFolder(this.opts.dataDir, run.id);
    const name = `${stamp()}-${slug(run.name)}-step${source.step}-tfjs`;
    const folder = makeNewFolder(parent, name);
    const metadata = {
      format: 'gan-studio-generator',
      version: 1,
      run: { id: run.id, name: run.name },
      checkpoint: { step: source.step, weights: source.weights },
      resolution: run.config.resolution,
      latentSize: run.config.latentSize,
      input: `[batch, ${run.config.latentSize}] latents z ~ N(0, I); truncation ψ is z·ψ`,
      output: `[batch, ${run.config.resolution}, ${run.config.resolution}, 3] RGB in [-1, 1]: pixel = (value + 1) · 127.5`,
      batchNorm:
        "inference mode with the statistics of the run's reference batch: one image per latent, in any batch",
      latent:
        "GAN Studio's seed s is Rng.seeded(s, 'latent').normal(latentSize) (xoshiro128**, Box–Muller); any N(0, I) sample works",
    };
    try {
      const result = await this.ask(
        { kind: 'export-model', source, folder, metadata, generatedBy: this.opts.generatedBy },
        'model',
      );
      return {
        ...this.describe(source, result),
        format: 'tfjs',
        folder,
        // model.json first: it is what tf.loadLayersModel is pointed at.
        files: [...result.files]
          .sort((a, b) => Number(b.name === 'model.json') - Number(a.name === 'model.json'))
          .map((f) => ({
            fileName: f.name,
            path: path.join(folder, f.name),
            url: exportUrl(run.id, path.basename(folder), f.name),
            mimeType: contentTypeOf(f.name),
            bytes: f.bytes,
          })),
      };
    } catch (error) {
      // Half a model is no model.
      fs.rmSync(folder, { recursive: true, force: true });
      throw error;
    }
  }

  // ---- memorisation check -----------------------------------------------------------------------

  async nearest(input: ParsedInput<'latent.nearest'>): Promise<MemorisationCheck> {
    const { run, source } = this.source(input);
    const datasetName = run.datasetId ? this.opts.datasetName(run.datasetId) : null;
    if (!run.datasetId || datasetName === null) {
      throw new ApiError(
        'conflict',
        `The dataset run "${run.name}" trained on was removed, so there are no training images to compare with. ` +
          'Add its folder again to check this run for memorisation.',
        'runId',
      );
    }
    const cache = await this.opts.trainingCache(run.datasetId, {
      resolution: run.config.resolution,
      crop: run.config.crop,
      flip: run.config.flip,
    });
    const result = await this.ask(
      {
        kind: 'nearest',
        source,
        seeds: input.seeds,
        truncation: input.truncation,
        cacheFile: cache.file,
        threshold: input.threshold,
      },
      'nearest',
    );
    return {
      ...this.describe(source, result),
      truncation: input.truncation,
      threshold: input.threshold,
      datasetName,
      trainingCount: result.trainingCount,
      matches: result.matches.map((m) => ({
        seed: m.seed,
        url: pngDataUrl(m.png),
        nearestUrl: pngDataUrl(m.nearestPng),
        nearestIndex: m.index,
        distance: m.distance,
        nearCopy: m.distance < input.threshold,
      })),
    };
  }

  // ---- generated data sets ----------------------------------------------------------------------

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
    const { run, source } = this.source(input);
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
    const name = `${stamp()}-${slug(run.name)}-step${source.step}-${input.count}`;
    let folder: string;
    try {
      folder = makeNewFolder(path.join(this.opts.dataDir, generatedDirName), name);
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
    const thread = new LatentThread(this.workerData(), `latent-${job.id}`, () => undefined);
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
              isDiskFull(error) || /ENOSPC|EDQUOT/.test(String(error))
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
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await Promise.all(
      this.jobs
        .filter((j) => j.job.status === 'running')
        .map((j) => this.cancel(j.job.id).catch(() => undefined)),
    );
    await this.interactive?.terminate().catch(() => undefined);
    this.interactive = null;
  }
}
