import { ApiError, firstLineOf } from '../../../shared/errors.js';
import {
  defaultTrainConfig,
  presetConfig,
  type BackendName,
  type TrainConfig,
} from '../../../shared/config.js';
import type { RunStatus, RunSummary } from '../../../shared/types.js';
import type { Emit } from '../../../shared/events.js';
import { toCheckpointInfo, toSummary, type RunRecord, type RunStore } from '../../store/runs.js';
import type { StartMessage } from '../protocol.js';
import {
  diskFullMessage,
  diskFullRunMessage,
  isDiskFull,
  requireFreeSpace,
  runSpaceNeed,
  type DiskReserve,
} from '../../common/disk-space.js';
import { ownerAlive, thisProcess } from '../../common/owner.js';
import { removeStaleTempFiles } from '../../common/temp-files.js';
import { dataPaths } from '../../common/paths.js';
import { planContinuation, type ContinueRequest } from '../../runs/continuation.js';
import { defaultRunName } from '../../runs/names.js';
import { CheckpointFiles, type SetAside } from './checkpoint-files.js';
import { RunQueue } from './queue.js';
import { RunRelay } from './run-relay.js';
import path from 'node:path';

/** How often the runs this process trains are touched (other processes wait heartbeatStaleMs). */
const heartbeatMs = 5_000;

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
  /** Room kept for recording a run's pause when the disk fills up (see common/disk-space.ts). */
  reserve?: DiskReserve;
  /** A session has ended and its end is recorded and announced (runs/outside-runs.ts adopts it). */
  onSessionEnded?: (runId: string) => void;
}

export interface StartRun {
  datasetId: string;
  name?: string | undefined;
  /** Resolved once by the caller (shared/config.ts resolveTrainConfig). */
  config: TrainConfig;
  /** The preset it started from: the default name says what differs from it. */
  preset?: string | undefined;
}

/**
 * The runs this process trains: starts, queues (queue.ts), pauses, resumes, stops, continues and
 * deletes them. Each training session is a worker thread whose events a RunRelay (run-relay.ts)
 * carries to the store and the UI; the run's folder is kept by CheckpointFiles.
 */
export class TrainingManager {
  private readonly relays = new Map<string, RunRelay>();
  /** Runs whose continuation is being prepared (their checkpoints read and checked). */
  private readonly preparing = new Set<string>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly queue: RunQueue;
  private readonly files: CheckpointFiles;

  constructor(private readonly opts: TrainingManagerOptions) {
    this.files = new CheckpointFiles(opts.runs, opts.dataDir);
    this.queue = new RunQueue(opts.maxConcurrent ?? 1, (runId) => {
      this.launch(runId).catch((err: unknown) => {
        this.fail(runId, err);
        this.queue.done(runId);
      });
    });
    // A run still marked running was cut off by a crash or a kill: offer to resume it. On a full
    // disk this may not be written; the runs are still listed, and marked at a later start.
    this.reapDead();
    // The heartbeat of the runs this process trains, and a look for runs whose owner died.
    this.heartbeat = setInterval(() => {
      try {
        opts.runs.touch([...this.queue.ids()]);
      } catch (err) {
        // Busy or full: the next beat tries again, well within the time others wait.
        console.warn('[training] heartbeat not recorded:', firstLineOf(err));
      }
      this.reapDead();
    }, heartbeatMs);
    this.heartbeat.unref();
    // A checkpoint or sample write killed midway leaves its temporary file (a checkpoint's is
    // tens of MB). Those of live processes, training right now, are kept.
    removeStaleTempFiles(dataPaths.runsRoot(opts.dataDir), 2, { legacy: true });
  }

  /**
   * Runs marked running or queued whose process is gone (killed, crashed, or its pid reused by
   * another program, which a stale heartbeat tells): shown as interrupted, to be continued. On a
   * full disk this may not be written; they are marked at a later look.
   */
  reapDead(): void {
    try {
      this.durable(() =>
        this.opts.runs.markInterrupted(
          (owner, heartbeatAt) => ownerAlive(owner, heartbeatAt),
          (id) => this.emitStatus(id),
        ),
      );
    } catch (err) {
      console.warn('[training] could not mark interrupted runs:', firstLineOf(err));
    }
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
    return this.opts.runs.require(id);
  }

  /** Whether another live process trains the run (its pid runs and its heartbeat is fresh). */
  private trainedElsewhere(run: RunRecord): boolean {
    if (this.trainsHere(run.id) || (run.status !== 'running' && run.status !== 'queued')) return false;
    return run.owner !== null && ownerAlive(run.owner, run.updatedAt);
  }

  /** Refuses to act on a run that another live process (the app, `serve`, a CLI) is training. */
  private refuseIfElsewhere(run: RunRecord): void {
    if (this.trainedElsewhere(run) && run.owner) {
      const pid = run.owner.slice(run.owner.lastIndexOf(':') + 1);
      throw new ApiError(
        'conflict',
        `Run "${run.name}" is training in another GAN Studio process (pid ${pid}) on this data folder. Pause or stop it there, or wait for it to finish.`,
      );
    }
  }

  async start(input: StartRun): Promise<RunSummary> {
    const { config } = input;
    const datasetSize = this.opts.caches.datasetSize(input.datasetId);
    this.requireSpace(diskFullMessage);
    requireFreeSpace(this.opts.dataDir, runSpaceNeed(config));
    const name =
      input.name ??
      defaultRunName(
        this.opts.caches.datasetName(input.datasetId),
        config,
        input.preset ? presetConfig(input.preset) : defaultTrainConfig,
        this.opts.runs.countOnDataset(input.datasetId),
      );
    const run = this.opts.runs.create({ name, datasetId: input.datasetId, config, owner: thisProcess });
    this.opts.runs.addEvent(run.id, { kind: 'created', step: 0 });
    await this.files.create(run.id, config, datasetSize);
    this.files.describe(run.id);
    this.enqueue(run.id);
    return toSummary(this.require(run.id));
  }

  private enqueue(runId: string): void {
    this.opts.runs.update(runId, { status: 'queued', error: null, owner: thisProcess });
    this.emitStatus(runId);
    this.queue.add(runId);
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
    const { runs } = this.opts;
    const cache = await this.opts.caches.ensureCache(run.datasetId, {
      resolution: run.config.resolution,
      crop: run.config.crop,
      flip: run.config.flip,
    });
    this.files.adopt(runId, this.require(runId).step);
    const latest = runs.checkpoints(runId).at(-1);
    // Continue from the checkpoint: what was recorded after it is written again, so the curves
    // have no repeated steps; with no checkpoint the run starts over from step 0.
    runs.truncateAfter(runId, latest ? latest.step : -1);
    const dir = this.files.folder(runId);
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
    const relay = new RunRelay(
      {
        runs,
        files: this.files,
        emit: this.opts.emit,
        durable: (write) => this.durable(write),
        emitStatus: (id) => this.emitStatus(id),
        recordEnd: (id, status, step, error) => this.recordEnd(id, status, step, error),
        onEnded: (id) => {
          this.relays.delete(id);
          this.emitStatus(id);
          this.opts.onSessionEnded?.(id);
          this.queue.done(id);
        },
      },
      run,
      start,
    );
    this.relays.set(runId, relay);
    runs.update(runId, { status: 'running', error: null, step: latest?.step ?? 0 });
    runs.addEvent(runId, {
      kind: 'started',
      step: latest?.step ?? 0,
      at: relay.started,
      trainSeconds: run.trainSeconds,
    });
    this.emitStatus(runId);
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
    if (!this.queue.isRunning(id)) {
      this.queue.remove(id);
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
    const relay = this.relays.get(id);
    if (!relay && this.markIfDead(run)) return toSummary(this.require(id));
    if (!relay) {
      if (what === 'pause' && run.status === 'queued') {
        this.queue.remove(id);
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
    relay.request(what);
    await relay.ended;
    return toSummary(this.require(id));
  }

  /**
   * A run marked running or queued by a process that is gone (and this one does not train it) was
   * interrupted: marked so, to be continued. True if it was.
   */
  private markIfDead(run: RunRecord): boolean {
    if (this.trainsHere(run.id) || (run.status !== 'running' && run.status !== 'queued')) return false;
    if (this.trainedElsewhere(run)) return false;
    run.status = 'interrupted';
    this.durable(() => this.opts.runs.update(run.id, { status: 'interrupted', owner: null }));
    this.recordEnd(run.id, 'interrupted', run.step, null);
    this.emitStatus(run.id);
    return true;
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
    if (this.trainsHere(id)) {
      throw new ApiError(
        'conflict',
        `Run "${run.name}" is already ${run.status}. Pause it first to continue it with changes.`,
      );
    }
    this.requireSpace(diskFullRunMessage);
    this.markIfDead(run);
    if (!run.datasetId) {
      throw new ApiError(
        'conflict',
        `The dataset of run "${run.name}" was removed, so it cannot train. Add the folder again and start a new run.`,
      );
    }
    this.files.adopt(id, run.step);
    // From here until it is queued the run is this process's: a second request must not race it.
    this.preparing.add(id);
    try {
      const damaged = await this.setAsideDamaged(run, request.fromStep);
      const plan = planContinuation(run, this.opts.runs.checkpoints(id), request);
      const from = plan.fromStep ?? 0;
      this.files.rewind(id, plan.fromStep, plan.discard);
      this.opts.runs.truncateAfter(id, plan.fromStep ?? -1);
      this.opts.runs.update(id, { config: plan.config, step: from });
      if (
        plan.changes.length > 0 ||
        plan.discard.length > 0 ||
        request.fromStep !== undefined ||
        damaged.length > 0
      ) {
        this.opts.runs.addEvent(id, {
          kind: 'continued',
          step: from,
          fromStep: plan.fromStep,
          changes: plan.changes,
          ...(plan.discard.length > 0 ? { discardedCheckpoints: plan.discard } : {}),
          ...(damaged.length > 0 ? { damagedCheckpoints: damaged } : {}),
        });
      }
      if (plan.discard.length > 0 || damaged.length > 0) this.emitCheckpoints(id);
      this.files.describe(id);
      this.opts.emit('run.updated', { run: toSummary(this.require(id)) });
      this.enqueue(id);
    } finally {
      this.preparing.delete(id);
    }
    return toSummary(this.require(id));
  }

  /**
   * Makes sure the checkpoint a continuation starts from is whole: a chosen one must verify; the
   * latest, where none is chosen, may be set aside with any newer damaged ones, loudly, for the
   * newest that verifies. Refused, saying what to do, when none is left to go on from.
   */
  private async setAsideDamaged(run: RunRecord, fromStep: number | undefined): Promise<SetAside[]> {
    const checkpoints = this.opts.runs.checkpoints(run.id);
    if (fromStep !== undefined) {
      const chosen = checkpoints.find((c) => c.step === fromStep);
      const reason = chosen ? await this.files.damage(run.id, chosen.file) : null;
      if (chosen && reason !== null) {
        const others = checkpoints.filter((c) => c.step !== fromStep).map((c) => c.step);
        throw new ApiError(
          'conflict',
          `The checkpoint at step ${fromStep} of run "${run.name}" (${chosen.file}) cannot be used: ${reason}. ` +
            (others.length > 0
              ? `Continue from another one (steps ${others.join(', ')}).`
              : 'Start a new run.'),
          'fromStep',
        );
      }
      return [];
    }
    if (checkpoints.length === 0) return [];
    const damaged = await this.files.setAsideDamaged(run.id);
    if (damaged.length === checkpoints.length) {
      throw new ApiError(
        'conflict',
        `No checkpoint of run "${run.name}" can be resumed from: ${damaged.map((d) => `step ${d.step}: ${d.reason}`).join('; ')}. ` +
          'The damaged files were kept as ….damaged in the run folder. Start a new run with the same settings.',
      );
    }
    return damaged;
  }

  async delete(id: string): Promise<boolean> {
    this.refuseIfElsewhere(this.require(id));
    if (this.queue.isRunning(id)) await this.request(id, 'stop');
    this.queue.remove(id);
    const deleted = this.opts.runs.delete(id);
    this.files.remove(id);
    return deleted;
  }

  /** Writes the run's folder description again (after a rename, new tags or notes). */
  describe(id: string): void {
    this.files.describe(id);
  }

  /** Whether this process trains the run (queued or running here). */
  trainsHere(id: string): boolean {
    return this.queue.isRunning(id) || this.queue.isWaiting(id) || this.preparing.has(id);
  }

  /** Runs training in this process now (a speed measured meanwhile is marked as such). */
  get activeCount(): number {
    return this.queue.runningCount;
  }

  /** For tests and the CLI: resolves when the run is no longer training. */
  async whenIdle(id: string): Promise<void> {
    while (this.trainsHere(id)) {
      const relay = this.relays.get(id);
      if (relay) await relay.ended;
      else await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Pauses every training run (each writes a checkpoint) so closing the app loses nothing. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.queue.close();
    await Promise.all(
      [...this.relays.keys()].map((runId) => this.request(runId, 'pause').catch(() => undefined)),
    );
    await this.files.settled();
  }
}
