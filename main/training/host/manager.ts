import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { ApiError, firstLineOf } from '../../../shared/errors.js';
import {
  presetConfig,
  trainConfigSchema,
  type BackendName,
  type TrainConfig,
  type TrainConfigInput,
} from '../../../shared/config.js';
import type { RunStatus, RunSummary } from '../../../shared/types.js';
import type { Emit } from '../../../shared/events.js';
import type { RunRecord, RunStore, MetricRow } from '../../store/runs.js';
import { toCheckpointInfo, toSummary } from '../../store/runs.js';
import type { FromWorker, StartMessage, ToWorker } from '../protocol.js';
import { startWorker } from '../../worker-start.js';
import { writeFileAtomic } from '../../atomic-files.js';
import { diskFullMessage, diskFullRunMessage, isDiskFull, type DiskReserve } from '../../disk-space.js';
import { ownerAlive, thisProcess } from '../../owner.js';
import { removeStaleTempFiles } from '../../temp-files.js';
import { checkpointStep } from '../run-files.js';
import { planContinuation, type ContinueRequest } from '../../runs/continuation.js';
import { defaultRunName } from '../../runs/names.js';

/** What the manager needs from the dataset side: a ready training cache for a run's settings. */
export interface CacheProvider {
  datasetSize(datasetId: string): number;
  datasetName(datasetId: string): string;
  ensureCache(
    datasetId: string,
    settings: { resolution: number; crop: TrainConfig['crop']; flip: boolean },
  ): Promise<{ file: string; count: number }>;
}

export interface TrainingManagerOptions {
  runs: RunStore;
  caches: CacheProvider;
  dataDir: string;
  emit: Emit;
  /** Runs training at once; the rest wait as 'queued'. One per spare core. */
  maxConcurrent?: number;
  /** Room kept for recording a run's pause when the disk fills up (see disk-space.ts). */
  reserve?: DiskReserve;
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** UI updates go out at most this often per run (the design's ~10/s). */
const pushIntervalMs = 100;
/** Metrics are written to SQLite in batches this far apart. */
const flushIntervalMs = 500;

interface ActiveRun {
  runId: string;
  worker: Worker;
  startedAt: number;
  trainSecondsBefore: number;
  pendingMetrics: MetricRow[];
  pendingPush: MetricRow[];
  lastPush: number;
  lastProgress: { step: number; imagesPerSecond: number } | null;
  /** A push held back by the rate limit goes out when this fires, so the last update is never lost. */
  pushTimer: NodeJS.Timeout | null;
  ended: Promise<void>;
  requested: 'pause' | 'stop' | null;
  /** Fixed for the run: read once at launch rather than from the store on every UI push. */
  totalSteps: number;
  batchSize: number;
  /** Why its progress could not be saved (a full disk): the run was asked to pause for it. */
  storeFailure: string | null;
}

/**
 * A run's config from a preset and changes, as training.start (and training.estimate) take them;
 * an invalid value is refused naming its field.
 */
export function resolveRunConfig(
  preset: string | undefined,
  changes: Partial<TrainConfigInput>,
): TrainConfig {
  const base = preset ? presetConfig(preset) : trainConfigSchema.parse({});
  const parsed = trainConfigSchema.safeParse({ ...base, ...changes });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? ['config', ...issue.path.map(String)].join('.') : 'config';
    throw new ApiError('invalid_input', `Invalid "${field}": ${issue?.message ?? 'bad value'}.`, field);
  }
  return parsed.data;
}

export function runFolder(dataDir: string, runId: string): string {
  return path.join(dataDir, 'runs', runId);
}

export function sampleUrl(runId: string, file: string): string {
  return `/media/runs/${encodeURIComponent(runId)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Owns the training worker threads: starts, queues, pauses, resumes and stops runs; relays worker
 * events to the store (batched) and the UI (throttled).
 */
export class TrainingManager {
  private readonly active = new Map<string, ActiveRun>();
  private readonly queue: string[] = [];
  private readonly maxConcurrent: number;
  private flushTimer: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(private readonly opts: TrainingManagerOptions) {
    this.maxConcurrent = opts.maxConcurrent ?? 1;
    // A run still marked running was cut off by a crash or a kill: offer to resume it. On a full
    // disk this may not be written; the runs are still listed, and marked at a later start.
    try {
      this.durable(() => opts.runs.markInterrupted(ownerAlive));
    } catch (err) {
      console.warn('[training] could not mark interrupted runs:', firstLineOf(err));
    }
    // A checkpoint or sample write killed midway leaves its temporary file (a checkpoint's is
    // tens of MB). Those of live processes, training right now, are kept.
    removeStaleTempFiles(path.join(opts.dataDir, 'runs'), 2, { legacy: true });
  }

  /** A store write the user must see (a status), given the disk reserve if the disk is full. */
  private durable<T>(write: () => T): T {
    return this.opts.reserve ? this.opts.reserve.write(write) : write();
  }

  /** Refuses to start work on a disk with no room left: it would stop again at once. */
  private requireSpace(message: string): void {
    if (this.opts.reserve?.ensure() === false) throw new ApiError('unavailable', message);
  }

  private require(id: string): RunRecord {
    const run = this.opts.runs.get(id);
    if (!run)
      throw new ApiError(
        'not_found',
        `There is no run "${id}". It may have been deleted; refresh the runs list.`,
      );
    return run;
  }

  /** Refuses to act on a run that another live process (the app, `serve`, a CLI) is training. */
  private refuseIfElsewhere(run: RunRecord): void {
    if (this.active.has(run.id) || this.queue.includes(run.id)) return;
    if ((run.status === 'running' || run.status === 'queued') && run.owner && ownerAlive(run.owner)) {
      const pid = run.owner.slice(run.owner.lastIndexOf(':') + 1);
      throw new ApiError(
        'conflict',
        `Run "${run.name}" is training in another GAN Studio process (pid ${pid}) on this data folder. Pause or stop it there, or wait for it to finish.`,
      );
    }
  }

  async start(input: {
    datasetId: string;
    name?: string | undefined;
    config: Partial<TrainConfigInput>;
    preset?: string | undefined;
  }): Promise<RunSummary> {
    const base = input.preset ? presetConfig(input.preset) : trainConfigSchema.parse({});
    const config = resolveRunConfig(input.preset, input.config);
    const datasetSize = this.opts.caches.datasetSize(input.datasetId);
    this.requireSpace(diskFullMessage);
    const name =
      input.name ??
      defaultRunName(
        this.opts.caches.datasetName(input.datasetId),
        config,
        base,
        this.opts.runs.list().filter((r) => r.datasetId === input.datasetId).length,
      );
    const run = this.opts.runs.create({ name, datasetId: input.datasetId, config, owner: thisProcess });
    this.opts.runs.addEvent(run.id, { kind: 'created', step: 0 });
    const dir = runFolder(this.opts.dataDir, run.id);
    fs.mkdirSync(path.join(dir, 'samples'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
    await writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify({ datasetSize, ...config }, null, 2));
    this.enqueue(run.id);
    return toSummary(this.require(run.id));
  }

  private enqueue(runId: string): void {
    this.opts.runs.update(runId, { status: 'queued', error: null, owner: thisProcess });
    this.emitStatus(runId);
    this.queue.push(runId);
    this.pump();
  }

  private pump(): void {
    while (!this.closing && this.active.size < this.maxConcurrent && this.queue.length > 0) {
      const runId = this.queue.shift()!;
      void this.launch(runId).catch((err: unknown) => this.fail(runId, err));
    }
  }

  private fail(runId: string, err: unknown): void {
    const message = isDiskFull(err) ? diskFullRunMessage : err instanceof Error ? err.message : String(err);
    try {
      this.durable(() =>
        this.opts.runs.update(runId, {
          status: isDiskFull(err) ? 'paused' : 'failed',
          error: message,
          owner: null,
        }),
      );
      this.emitStatus(runId);
    } catch (storeErr) {
      // Called from a promise's catch: throwing here would end the process.
      console.error(`[training] could not record that ${runId} failed (${message}):`, storeErr);
    }
  }

  private async launch(runId: string): Promise<void> {
    const run = this.require(runId);
    if (!run.datasetId) {
      throw new Error(
        'The dataset of this run was removed, so it cannot train. Add the folder again and start a new run.',
      );
    }
    // Reserve the slot before the first await, so pump() does not overfill while caches build.
    const placeholder = { runId } as ActiveRun;
    this.active.set(runId, placeholder);
    try {
      const cache = await this.opts.caches.ensureCache(run.datasetId, {
        resolution: run.config.resolution,
        crop: run.config.crop,
        flip: run.config.flip,
      });
      const dir = runFolder(this.opts.dataDir, runId);
      this.registerCheckpointFiles(runId, dir);
      const latest = this.opts.runs.checkpoints(runId).at(-1);
      // Continue from the checkpoint: what was recorded after it is written again, so the curves
      // have no repeated steps; with no checkpoint the run starts over from step 0.
      this.opts.runs.truncateAfter(runId, latest ? latest.step : -1);
      const start: StartMessage = {
        type: 'start',
        runId,
        runDir: dir,
        cacheFile: cache.file,
        config: run.config,
        backend: run.config.backend,
        datasetSize: cache.count,
        ...(latest ? { resumeFrom: path.join(dir, latest.file) } : {}),
      };
      const worker = startWorker(new URL('../worker/worker', import.meta.url), { name: `train-${runId}` });
      const activeRun: ActiveRun = {
        runId,
        worker,
        startedAt: Date.now(),
        trainSecondsBefore: run.trainSeconds,
        pendingMetrics: [],
        pendingPush: [],
        lastPush: 0,
        lastProgress: null,
        pushTimer: null,
        requested: null,
        ended: Promise.resolve(),
        totalSteps: run.totalSteps,
        batchSize: run.config.batchSize,
        storeFailure: null,
      };
      activeRun.ended = new Promise<void>((resolve) => {
        let settled = false;
        const finish = (status: RunSummary['status'], step: number | null, error: string | null) => {
          if (settled) return;
          settled = true;
          try {
            this.flush(activeRun);
          } catch (err) {
            // The run itself is safe in its checkpoint; only these points of its curves are lost.
            console.error(`[training] ${runId}: the last metrics could not be saved:`, firstLineOf(err));
          }
          // The last points and progress reach the UI before the status that ends the run.
          this.push(activeRun);
          if (activeRun.storeFailure !== null && status !== 'finished') {
            // The worker was asked to pause for it; resuming continues from the last checkpoint.
            status = 'paused';
            error = activeRun.storeFailure;
          }
          const seconds = activeRun.trainSecondsBefore + (Date.now() - activeRun.startedAt) / 1000;
          try {
            const ended = this.durable(() =>
              this.opts.runs.update(runId, {
                status,
                error,
                owner: null,
                trainSeconds: seconds,
                ...(step !== null ? { step } : {}),
              }),
            );
            if (ended) this.durable(() => this.recordEnd(runId, status, ended.step, error));
          } catch (err) {
            // Not even the reserve helped. The run stays marked as this process's; the next
            // process to open the folder marks it interrupted, and it resumes from its checkpoint.
            console.error(`[training] could not record that ${runId} is ${status}:`, firstLineOf(err));
          }
          this.active.delete(runId);
          this.emitStatus(runId);
          resolve();
          this.pump();
        };
        worker.on('message', (message: FromWorker) => {
          if (message.type === 'ended') {
            const status =
              message.reason === 'finished'
                ? 'finished'
                : message.reason === 'paused'
                  ? 'paused'
                  : message.reason === 'stopped'
                    ? 'stopped'
                    : message.reason === 'diverged'
                      ? 'paused'
                      : 'failed';
            finish(status, message.step, message.error ?? null);
            void worker.terminate();
          } else {
            this.record(activeRun, () => this.onMessage(activeRun, message));
          }
        });
        worker.on('error', (err) =>
          finish(
            'failed',
            null,
            `The training worker crashed: ${err.message}. Resume the run to continue from its last checkpoint.`,
          ),
        );
        worker.on('exit', (code) => {
          if (code !== 0 || activeRun.requested === null) {
            finish(
              'interrupted',
              null,
              code === 0
                ? null
                : `The training worker exited unexpectedly (code ${code}). Resume the run to continue from its last checkpoint.`,
            );
          } else finish(activeRun.requested === 'pause' ? 'paused' : 'stopped', null, null);
        });
      });
      this.active.set(runId, activeRun);
      this.opts.runs.update(runId, { status: 'running', error: null, step: latest?.step ?? 0 });
      this.opts.runs.addEvent(runId, {
        kind: 'started',
        step: latest?.step ?? 0,
        at: activeRun.startedAt,
        trainSeconds: run.trainSeconds,
      });
      this.emitStatus(runId);
      this.ensureFlushTimer();
      worker.postMessage(start satisfies ToWorker);
    } catch (err) {
      this.active.delete(runId);
      throw err;
    }
  }

  /**
   * A process killed between a checkpoint's rename and its message leaves a complete checkpoint
   * file (written atomically) that the store does not know. It is recorded when the store holds
   * the run's curves up to its step, so resuming loses nothing. Otherwise the curve points before
   * it died with the process (the message's handler would have saved them first): continuing
   * from it would leave a gap in the curves, so it is deleted and those steps are trained again
   * from the checkpoint before.
   */
  private registerCheckpointFiles(runId: string, dir: string): void {
    const folder = path.join(dir, 'checkpoints');
    if (!fs.existsSync(folder)) return;
    const known = new Set(this.opts.runs.checkpoints(runId).map((c) => c.step));
    const recordedStep = this.require(runId).step;
    for (const name of fs.readdirSync(folder)) {
      const step = checkpointStep(name);
      if (step === null || known.has(step)) continue;
      if (step <= recordedStep) this.opts.runs.addCheckpoint(runId, step, `checkpoints/${name}`);
      else fs.rmSync(path.join(folder, name), { force: true });
    }
  }

  private ensureFlushTimer(): void {
    if (this.flushTimer) return;
    this.flushTimer = setInterval(() => {
      for (const run of this.active.values()) if (run.worker) this.record(run, () => this.flush(run));
      if (this.active.size === 0 && this.flushTimer) {
        clearInterval(this.flushTimer);
        this.flushTimer = null;
      }
    }, flushIntervalMs);
    this.flushTimer.unref();
  }

  private onMessage(run: ActiveRun, message: FromWorker): void {
    const { runs, emit } = this.opts;
    switch (message.type) {
      case 'backend':
        runs.update(run.runId, {
          backend: message.backend,
          backendNotes: message.notes,
          threads: message.threads ?? null,
        });
        this.emitStatus(run.runId);
        break;
      case 'metrics': {
        const row = { step: message.step, wallTime: message.wallTime, values: message.values };
        run.pendingMetrics.push(row);
        run.pendingPush.push(row);
        this.maybePush(run);
        break;
      }
      case 'progress':
        run.lastProgress = { step: message.step, imagesPerSecond: message.imagesPerSecond };
        this.maybePush(run);
        break;
      case 'sample':
        runs.addSample(run.runId, message.step, message.file);
        emit('run.sample', { runId: run.runId, step: message.step, url: sampleUrl(run.runId, message.file) });
        break;
      case 'checkpoint':
        this.flush(run);
        runs.addCheckpoint(run.runId, message.step, message.file);
        runs.update(run.runId, { step: message.step });
        this.pruneCheckpoints(run.runId);
        this.emitCheckpoints(run.runId);
        break;
      case 'warning': {
        const at = Date.now();
        runs.addEvent(run.runId, {
          kind: 'warning',
          step: message.warning.step,
          at,
          warning: message.warning,
        });
        emit('run.warning', { runId: run.runId, warning: message.warning, at });
        break;
      }
      case 'ended':
        break;
    }
  }

  /** Pushes now if the last push is old enough, else once it is: at most ~10 pushes a second. */
  private maybePush(run: ActiveRun): void {
    const wait = run.lastPush + pushIntervalMs - Date.now();
    if (wait <= 0) this.push(run);
    else if (!run.pushTimer) {
      run.pushTimer = setTimeout(() => {
        run.pushTimer = null;
        if (this.active.get(run.runId) === run) this.push(run);
      }, wait);
    }
  }

  private push(run: ActiveRun): void {
    if (run.pushTimer) clearTimeout(run.pushTimer);
    run.pushTimer = null;
    run.lastPush = Date.now();
    const { emit } = this.opts;
    if (run.pendingPush.length > 0) {
      emit('run.metrics', {
        runId: run.runId,
        points: run.pendingPush.map((r) => ({
          step: r.step,
          wallTime: r.wallTime,
          // As sessions.ts maps stored points: the time trained before this session, plus this one's.
          seconds: run.trainSecondsBefore + (r.wallTime - run.startedAt) / 1000,
          values: r.values,
        })),
      });
      run.pendingPush = [];
    }
    if (run.lastProgress) {
      const { totalSteps: total, batchSize } = run;
      const { step, imagesPerSecond } = run.lastProgress;
      const stepsPerSecond = imagesPerSecond / batchSize;
      emit('run.progress', {
        runId: run.runId,
        step,
        totalSteps: total,
        imagesPerSecond,
        etaSeconds: stepsPerSecond > 0 ? Math.max(0, (total - step) / stepsPerSecond) : null,
      });
      run.lastProgress = null;
    }
  }

  /**
   * Runs a store write for an active run. One that fails (SQLITE_FULL on a full disk, say) must
   * not end the process from a timer or a worker message: the run is asked to pause instead, which
   * keeps its last good checkpoint, and ends paused with the reason.
   */
  private record(run: ActiveRun, write: () => void): void {
    try {
      write();
    } catch (err) {
      if (run.storeFailure !== null) return;
      if (isBusy(err)) {
        // Another process on this data folder held the database past the busy timeout (a busy
        // machine): nothing is wrong with the run, and pending metrics stay queued for the next
        // flush, a moment later.
        return;
      }
      run.storeFailure = isDiskFull(err)
        ? diskFullRunMessage
        : `The run's progress could not be saved (${firstLineOf(err)}). Resume it to continue from its last checkpoint.`;
      console.error(`[training] ${run.runId}: saving progress failed, pausing:`, firstLineOf(err));
      if (run.requested === null) {
        run.requested = 'pause';
        run.worker.postMessage({ type: 'pause' } satisfies ToWorker);
      }
    }
  }

  private flush(run: ActiveRun): void {
    if (!run.pendingMetrics) return;
    if (run.pendingMetrics.length > 0) {
      const rows = run.pendingMetrics;
      run.pendingMetrics = [];
      try {
        this.opts.runs.insertMetrics(run.runId, rows);
      } catch (err) {
        // Kept for the next try (space may come back before the run has paused).
        run.pendingMetrics = rows.concat(run.pendingMetrics);
        throw err;
      }
      this.opts.runs.update(run.runId, { step: rows[rows.length - 1]!.step });
    }
  }

  private pruneCheckpoints(runId: string): void {
    const run = this.require(runId);
    const all = this.opts.runs.checkpoints(runId);
    const removable = all.filter((c) => !c.starred);
    const excess = removable.length - run.config.keepCheckpoints;
    for (const c of removable.slice(0, Math.max(0, excess))) {
      this.opts.runs.removeCheckpoint(runId, c.step);
      fs.rmSync(path.join(runFolder(this.opts.dataDir, runId), c.file), { force: true });
    }
  }

  private emitStatus(runId: string): void {
    const run = this.opts.runs.get(runId);
    if (!run) return;
    this.opts.emit('run.status', { runId, status: run.status, step: run.step, error: run.error });
  }

  private emitCheckpoints(runId: string): void {
    const checkpoints = this.opts.runs.checkpoints(runId).map(toCheckpointInfo);
    this.opts.emit('run.checkpoints', { runId, checkpoints });
  }

  /** How a session ended, in the run's history. */
  private recordEnd(runId: string, status: RunStatus, step: number, error: string | null): void {
    if (status === 'running' || status === 'queued') return;
    this.opts.runs.addEvent(runId, { kind: status, step, ...(error ? { error } : {}) });
  }

  async pause(id: string): Promise<RunSummary> {
    return this.request(id, 'pause');
  }

  async stop(id: string): Promise<RunSummary> {
    const run = this.require(id);
    this.refuseIfElsewhere(run);
    if (!this.active.has(id)) {
      const idx = this.queue.indexOf(id);
      if (idx >= 0) this.queue.splice(idx, 1);
      if (run.status !== 'finished') {
        this.opts.runs.update(id, { status: 'stopped', owner: null });
        if (run.status !== 'stopped') this.recordEnd(id, 'stopped', run.step, null);
      }
      this.emitStatus(id);
      return toSummary(this.require(id));
    }
    return this.request(id, 'stop');
  }

  private async request(id: string, what: 'pause' | 'stop'): Promise<RunSummary> {
    const run = this.require(id);
    this.refuseIfElsewhere(run);
    const active = this.active.get(id);
    if (!active?.worker) {
      if (what === 'pause' && run.status === 'queued') {
        const idx = this.queue.indexOf(id);
        if (idx >= 0) this.queue.splice(idx, 1);
        this.opts.runs.update(id, { status: 'paused', owner: null });
        this.recordEnd(id, 'paused', run.step, null);
        this.emitStatus(id);
        return toSummary(this.require(id));
      }
      throw new ApiError(
        'conflict',
        `Run "${run.name}" is ${run.status}, not training, so it cannot be ${what === 'pause' ? 'paused' : 'stopped'}.`,
      );
    }
    active.requested = what;
    active.worker.postMessage({ type: what } satisfies ToWorker);
    await active.ended;
    return toSummary(this.require(id));
  }

  /** Goes on from the latest checkpoint with nothing changed but, if asked, the backend. */
  async resume(id: string, backend?: 'auto' | BackendName): Promise<RunSummary> {
    return this.continue(id, { changes: backend ? { backend } : {} });
  }

  /**
   * Continues a run that is not training from its latest (or a chosen) checkpoint, optionally
   * with more steps, other learning rates or another backend. Checkpoints after the chosen one
   * are discarded, as are the metrics and samples past it: those steps are trained again. The
   * worker builds its trainer from the updated config, so the changes apply from that step.
   */
  async continue(id: string, request: ContinueRequest): Promise<RunSummary> {
    const run = this.require(id);
    this.refuseIfElsewhere(run);
    if (this.active.has(id) || this.queue.includes(id)) {
      throw new ApiError(
        'conflict',
        `Run "${run.name}" is already ${run.status}. Pause it first to continue it with changes.`,
      );
    }
    this.requireSpace(diskFullRunMessage);
    if ((run.status === 'running' || run.status === 'queued') && !(run.owner && ownerAlive(run.owner))) {
      // Its process died while this one ran, so nothing marked it: it was interrupted.
      run.status = 'interrupted';
      this.opts.runs.update(id, { status: 'interrupted', owner: null });
      this.recordEnd(id, 'interrupted', run.step, null);
    }
    if (!run.datasetId) {
      throw new ApiError(
        'conflict',
        `The dataset of run "${run.name}" was removed, so it cannot train. Add the folder again and start a new run.`,
      );
    }
    const dir = runFolder(this.opts.dataDir, id);
    this.registerCheckpointFiles(id, dir);
    const plan = planContinuation(run, this.opts.runs.checkpoints(id), request);
    for (const step of plan.discard) {
      const file = this.opts.runs.checkpoints(id).find((c) => c.step === step)?.file;
      this.opts.runs.removeCheckpoint(id, step);
      if (file) fs.rmSync(path.join(dir, file), { force: true });
    }
    const from = plan.fromStep ?? 0;
    // Samples past the checkpoint show a model that is no more; they are made again.
    for (const sample of this.opts.runs.samples(id).filter((s) => s.step > (plan.fromStep ?? -1))) {
      fs.rmSync(path.join(dir, sample.file), { force: true });
    }
    this.opts.runs.truncateAfter(id, plan.fromStep ?? -1);
    this.opts.runs.update(id, { config: plan.config, step: from });
    if (plan.changes.length > 0 || plan.discard.length > 0 || request.fromStep !== undefined) {
      this.opts.runs.addEvent(id, {
        kind: 'continued',
        step: from,
        fromStep: plan.fromStep,
        changes: plan.changes,
        ...(plan.discard.length > 0 ? { discardedCheckpoints: plan.discard } : {}),
      });
    }
    if (plan.discard.length > 0) this.emitCheckpoints(id);
    this.opts.emit('run.updated', { run: toSummary(this.require(id)) });
    this.enqueue(id);
    return toSummary(this.require(id));
  }

  async delete(id: string): Promise<boolean> {
    this.refuseIfElsewhere(this.require(id));
    if (this.active.has(id)) await this.request(id, 'stop');
    const idx = this.queue.indexOf(id);
    if (idx >= 0) this.queue.splice(idx, 1);
    const deleted = this.opts.runs.delete(id);
    fs.rmSync(runFolder(this.opts.dataDir, id), { recursive: true, force: true });
    return deleted;
  }

  /** Whether this process trains the run (queued or running here). */
  trainsHere(id: string): boolean {
    return this.active.has(id) || this.queue.includes(id);
  }

  /** Runs training in this process now (a speed measured meanwhile is marked as such). */
  get activeCount(): number {
    return this.active.size;
  }

  /** For tests and the CLI: resolves when the run is no longer training. */
  async whenIdle(id: string): Promise<void> {
    while (this.queue.includes(id) || this.active.has(id)) {
      const active = this.active.get(id);
      if (active?.worker) await active.ended;
      else await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Pauses every training run (each writes a checkpoint) so closing the app loses nothing. */
  async close(): Promise<void> {
    this.closing = true;
    this.queue.length = 0;
    await Promise.all(
      [...this.active.values()]
        .filter((a) => a.worker)
        .map((a) => this.request(a.runId, 'pause').catch(() => undefined)),
    );
    if (this.flushTimer) clearInterval(this.flushTimer);
  }
}
