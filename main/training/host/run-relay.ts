import type { Worker } from 'node:worker_threads';
import { firstLineOf } from '../../../shared/errors.js';
import type { Emit } from '../../../shared/events.js';
import { mediaUrls } from '../../../shared/media-urls.js';
import type { RunStatus } from '../../../shared/types.js';
import { diskFullRunMessage, isDiskFull } from '../../common/disk-space.js';
import { startWorker } from '../../common/worker-start.js';
import { toCheckpointInfo, type MetricRow, type RunRecord, type RunStore } from '../../store/runs.js';
import type { EndReason, FromWorker, StartMessage, ToWorker } from '../protocol.js';
import type { CheckpointFiles } from './checkpoint-files.js';

/** UI updates go out at most this often per run (the design's ~10/s). */
const pushIntervalMs = 100;
/** Metrics are written to SQLite in batches this far apart. */
const flushIntervalMs = 500;

const statusOfEnd: Record<EndReason, RunStatus> = {
  finished: 'finished',
  paused: 'paused',
  stopped: 'stopped',
  // The run keeps its last good checkpoint; the user may resume it with other settings.
  diverged: 'paused',
  failed: 'failed',
};

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

export interface RunRelayDeps {
  runs: RunStore;
  files: CheckpointFiles;
  emit: Emit;
  /** A store write the user must see (a status), given the disk reserve if the disk is full. */
  durable<T>(write: () => T): T;
  /** The run's status changed: tell every view. */
  emitStatus(runId: string): void;
  /** How a session ended, in the run's history. */
  recordEnd(runId: string, status: RunStatus, step: number, error: string | null): void;
  /** Called once the run has ended and its end is recorded. */
  onEnded(runId: string): void;
}

/**
 * One run's training session in a worker thread, relayed: its events go to the store in batches
 * (every half second, and before each checkpoint is recorded) and to the UI throttled (~10/s,
 * the last update never lost). The session ends with the worker; its end is recorded once.
 */
export class RunRelay {
  readonly runId: string;
  /** Resolves when the session has ended and its end is recorded. */
  readonly ended: Promise<void>;
  private readonly worker: Worker;
  private readonly startedAt = Date.now();
  private readonly trainSecondsBefore: number;
  /** Fixed for the session: read once at launch rather than from the store on every push. */
  private readonly totalSteps: number;
  private readonly batchSize: number;
  private pendingMetrics: MetricRow[] = [];
  private pendingPush: MetricRow[] = [];
  private lastPush = 0;
  private lastProgress: { step: number; imagesPerSecond: number } | null = null;
  /** A push held back by the rate limit goes out when this fires, so the last update is never lost. */
  private pushTimer: NodeJS.Timeout | null = null;
  private readonly flushTimer: NodeJS.Timeout;
  private settled = false;
  /** What the user asked of the session, if anything. */
  private requested: 'pause' | 'stop' | null = null;
  /** Why its progress could not be saved (a full disk): the run was asked to pause for it. */
  private storeFailure: string | null = null;

  constructor(
    private readonly deps: RunRelayDeps,
    run: RunRecord,
    start: StartMessage,
  ) {
    this.runId = run.id;
    this.trainSecondsBefore = run.trainSeconds;
    this.totalSteps = run.totalSteps;
    this.batchSize = run.config.batchSize;
    this.worker = startWorker(new URL('../worker/worker', import.meta.url), { name: `train-${run.id}` });
    this.ended = new Promise<void>((resolve) => {
      this.worker.on('message', (message: FromWorker) => {
        if (message.type === 'ended') {
          this.finish(statusOfEnd[message.reason], message.step, message.error ?? null);
          resolve();
          void this.worker.terminate();
        } else this.record(() => this.onMessage(message));
      });
      this.worker.on('error', (err) => {
        this.finish(
          'failed',
          null,
          `The training worker crashed: ${err.message}. Resume the run to continue from its last checkpoint.`,
        );
        resolve();
      });
      this.worker.on('exit', (code) => {
        if (code !== 0 || this.requested === null) {
          this.finish(
            'interrupted',
            null,
            code === 0
              ? null
              : `The training worker exited unexpectedly (code ${code}). Resume the run to continue from its last checkpoint.`,
          );
        } else this.finish(this.requested === 'pause' ? 'paused' : 'stopped', null, null);
        resolve();
      });
    });
    this.flushTimer = setInterval(() => this.record(() => this.flush()), flushIntervalMs);
    this.flushTimer.unref();
    this.worker.postMessage(start satisfies ToWorker);
  }

  get started(): number {
    return this.startedAt;
  }

  /** Asks the worker to write a checkpoint and end, paused or stopped. */
  request(what: 'pause' | 'stop'): void {
    this.requested = what;
    this.worker.postMessage({ type: what } satisfies ToWorker);
  }

  private finish(status: RunStatus, step: number | null, error: string | null): void {
    if (this.settled) return;
    this.settled = true;
    clearInterval(this.flushTimer);
    const { runs, durable } = this.deps;
    try {
      this.flush();
    } catch (err) {
      // The run itself is safe in its checkpoint; only these points of its curves are lost.
      console.error(`[training] ${this.runId}: the last metrics could not be saved:`, firstLineOf(err));
    }
    // The last points and progress reach the UI before the status that ends the run.
    this.push();
    if (this.storeFailure !== null && status !== 'finished') {
      // The worker was asked to pause for it; resuming continues from the last checkpoint.
      status = 'paused';
      error = this.storeFailure;
    }
    const seconds = this.trainSecondsBefore + (Date.now() - this.startedAt) / 1000;
    try {
      const ended = durable(() =>
        runs.update(this.runId, {
          status,
          error,
          owner: null,
          trainSeconds: seconds,
          ...(step !== null ? { step } : {}),
        }),
      );
      if (ended) durable(() => this.deps.recordEnd(this.runId, status, ended.step, error));
      this.deps.files.describe(this.runId);
    } catch (err) {
      // Not even the reserve helped. The run stays marked as this process's; the next
      // process to open the folder marks it interrupted, and it resumes from its checkpoint.
      console.error(`[training] could not record that ${this.runId} is ${status}:`, firstLineOf(err));
    }
    this.deps.onEnded(this.runId);
  }

  private onMessage(message: Exclude<FromWorker, { type: 'ended' }>): void {
    const { runs, emit } = this.deps;
    switch (message.type) {
      case 'backend':
        runs.update(this.runId, {
          backend: message.backend,
          backendNotes: message.notes,
          threads: message.threads ?? null,
        });
        this.deps.emitStatus(this.runId);
        break;
      case 'metrics': {
        const row = { step: message.step, wallTime: message.wallTime, values: message.values };
        this.pendingMetrics.push(row);
        this.pendingPush.push(row);
        this.maybePush();
        break;
      }
      case 'progress':
        this.lastProgress = { step: message.step, imagesPerSecond: message.imagesPerSecond };
        this.maybePush();
        break;
      case 'sample':
        runs.addSample(this.runId, message.step, message.file);
        emit('run.sample', {
          runId: this.runId,
          step: message.step,
          url: mediaUrls.runFile(this.runId, message.file),
        });
        break;
      case 'checkpoint': {
        this.flush();
        runs.addCheckpoint(this.runId, message.step, message.file);
        const run = runs.update(this.runId, { step: message.step });
        if (run) this.deps.files.prune(this.runId, run.config.keepCheckpoints);
        emit('run.checkpoints', {
          runId: this.runId,
          checkpoints: runs.checkpoints(this.runId).map(toCheckpointInfo),
        });
        break;
      }
      case 'warning': {
        const at = Date.now();
        runs.addEvent(this.runId, {
          kind: 'warning',
          step: message.warning.step,
          at,
          warning: message.warning,
        });
        emit('run.warning', { runId: this.runId, warning: message.warning, at });
        break;
      }
    }
  }

  /** Pushes now if the last push is old enough, else once it is: at most ~10 pushes a second. */
  private maybePush(): void {
    const wait = this.lastPush + pushIntervalMs - Date.now();
    if (wait <= 0) this.push();
    else if (!this.pushTimer) {
      this.pushTimer = setTimeout(() => {
        this.pushTimer = null;
        if (!this.settled) this.push();
      }, wait);
    }
  }

  private push(): void {
    if (this.pushTimer) clearTimeout(this.pushTimer);
    this.pushTimer = null;
    this.lastPush = Date.now();
    const { emit } = this.deps;
    if (this.pendingPush.length > 0) {
      emit('run.metrics', {
        runId: this.runId,
        points: this.pendingPush.map((r) => ({
          step: r.step,
          wallTime: r.wallTime,
          // As sessions.ts maps stored points: the time trained before this session, plus this one's.
          seconds: this.trainSecondsBefore + (r.wallTime - this.startedAt) / 1000,
          values: r.values,
        })),
      });
      this.pendingPush = [];
    }
    if (this.lastProgress) {
      const { step, imagesPerSecond } = this.lastProgress;
      const stepsPerSecond = imagesPerSecond / this.batchSize;
      emit('run.progress', {
        runId: this.runId,
        step,
        totalSteps: this.totalSteps,
        imagesPerSecond,
        etaSeconds: stepsPerSecond > 0 ? Math.max(0, (this.totalSteps - step) / stepsPerSecond) : null,
      });
      this.lastProgress = null;
    }
  }

  /**
   * Runs a store write for the session. One that fails (SQLITE_FULL on a full disk, say) must
   * not end the process from a timer or a worker message: the run is asked to pause instead, which
   * keeps its last good checkpoint, and ends paused with the reason.
   */
  private record(write: () => void): void {
    try {
      write();
    } catch (err) {
      if (this.storeFailure !== null) return;
      if (isBusy(err)) {
        // Another process on this data folder held the database past the busy timeout (a busy
        // machine): nothing is wrong with the run, and pending metrics stay queued for the next
        // flush, a moment later.
        return;
      }
      this.storeFailure = isDiskFull(err)
        ? diskFullRunMessage
        : `The run's progress could not be saved (${firstLineOf(err)}). Resume it to continue from its last checkpoint.`;
      console.error(`[training] ${this.runId}: saving progress failed, pausing:`, firstLineOf(err));
      if (this.requested === null) this.request('pause');
    }
  }

  private flush(): void {
    if (this.pendingMetrics.length === 0) return;
    const rows = this.pendingMetrics;
    this.pendingMetrics = [];
    try {
      this.deps.runs.insertMetrics(this.runId, rows);
    } catch (err) {
      // Kept for the next try (space may come back before the run has paused).
      this.pendingMetrics = rows.concat(this.pendingMetrics);
      throw err;
    }
    this.deps.runs.update(this.runId, { step: rows[rows.length - 1]!.step });
    this.deps.files.logMetrics(this.runId, rows);
  }
}
