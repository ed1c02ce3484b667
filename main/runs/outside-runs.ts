import type { Emit } from '../../shared/events.js';
import type { CheckpointInfo } from '../../shared/types.js';
import { toCheckpointInfo, toSummary, type RunRecord, type RunStore } from '../store/runs.js';
import { mediaUrls } from '../../shared/media-urls.js';
import { trainingSeconds } from './sessions.js';

/**
 * Makes runs that another process trains on the same data folder (`gan-studio train` in a
 * terminal while the app is open) live in this one: their rows, points, samples and checkpoints
 * are read from the store as that process saves them, and sent out as the same events this
 * process's own runs send, so every view follows them without a reload.
 */

export interface OutsideRunsOptions {
  runs: RunStore;
  emit: Emit;
  /** Runs this process trains: their events already go out as they happen. */
  trainsHere(runId: string): boolean;
  /** How often the store is read; the other process saves about twice a second. */
  intervalMs?: number;
}

/** What was last sent of a run. */
interface Sent {
  status: RunRecord['status'];
  step: number;
  sampleStep: number;
  checkpoints: string;
}

/** Points sent per metric per look at most: a chart needs the newest, a reload brings the rest. */
const maxPointsPerLook = 2000;

export class OutsideRuns {
  private since = Date.now();
  /** Rows changed at exactly `since` already sent, as they read then. */
  private readonly seenAtSince = new Set<string>();
  private readonly sent = new Map<string, Sent>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly opts: OutsideRunsOptions) {
    this.timer = setInterval(() => this.look(), opts.intervalMs ?? 2000);
    this.timer.unref();
  }

  /** Reads what changed since the last look and sends it; called by the timer (and tests). */
  look(): void {
    const { runs, emit } = this.opts;
    // From the last change seen on, not after it: a second change in the same millisecond (a run
    // ending saves its last step and then its status) counts, as the row reads differently.
    for (const run of runs.changedSince(this.since - 1)) {
      const key = JSON.stringify(toSummary(run));
      if (run.updatedAt === this.since && this.seenAtSince.has(key)) continue;
      if (run.updatedAt > this.since) {
        this.since = run.updatedAt;
        this.seenAtSince.clear();
      }
      this.seenAtSince.add(key);
      if (this.opts.trainsHere(run.id)) {
        this.sent.delete(run.id);
        continue;
      }
      // First seen: the views read the run when they opened; a training run's newest points go
      // out (a view keeps those past its last step), a resting run's are all there already.
      const seen = this.sent.get(run.id);
      const before = seen ?? {
        status: run.status,
        step: run.status === 'running' ? -1 : run.step,
        sampleStep: run.step,
        checkpoints: '',
      };
      if (seen && seen.status !== 'running' && run.status !== seen.status) {
        // Going again, perhaps from an earlier checkpoint: what followed it is trained again.
        before.step = Math.min(before.step, run.step);
        before.sampleStep = Math.min(before.sampleStep, run.step);
      }
      emit('run.updated', { run: toSummary(run) });

      const rows = runs.metricsAfter(run.id, before.step, maxPointsPerLook);
      if (rows.length > 0) {
        const seconds = trainingSeconds(
          runs.history(run.id),
          rows.map((r) => r.wallTime),
        );
        emit('run.metrics', {
          runId: run.id,
          points: rows.map((r, i) => ({
            step: r.step,
            wallTime: r.wallTime,
            seconds: seconds[i]!,
            values: r.values,
          })),
        });
        if (run.status === 'running') this.progress(run, rows);
      }

      const samples = runs.samples(run.id).filter((s) => s.step > before.sampleStep);
      for (const s of samples)
        emit('run.sample', { runId: run.id, step: s.step, url: mediaUrls.runFile(run.id, s.file) });

      const checkpoints: CheckpointInfo[] = runs.checkpoints(run.id).map(toCheckpointInfo);
      const checkpointKey = JSON.stringify(checkpoints);
      if (checkpointKey !== before.checkpoints && before.checkpoints !== '') {
        emit('run.checkpoints', { runId: run.id, checkpoints });
      }

      // Also when first seen: a list that does not have the run yet reads itself again.
      if (!seen || run.status !== before.status) {
        emit('run.status', { runId: run.id, status: run.status, step: run.step, error: run.error });
      }
      this.sent.set(run.id, {
        status: run.status,
        step: rows.at(-1)?.step ?? before.step,
        sampleStep: samples.at(-1)?.step ?? before.sampleStep,
        checkpoints: checkpointKey,
      });
    }
  }

  /**
   * A session this process trained has ended: every point, sample and checkpoint of it went out
   * as it happened. Recorded as sent, so the next look does not send them again after the end
   * (it may come before any look saw the run training here).
   */
  adopt(runId: string): void {
    const run = this.opts.runs.get(runId);
    if (!run) return;
    this.sent.set(runId, {
      status: run.status,
      step: run.step,
      sampleStep: this.opts.runs.samples(runId).at(-1)?.step ?? run.step,
      checkpoints: JSON.stringify(this.opts.runs.checkpoints(runId).map(toCheckpointInfo)),
    });
  }

  /** Speed and ETA from the points' own times: the other process's speed is not in the store. */
  private progress(run: RunRecord, rows: readonly { step: number; wallTime: number }[]): void {
    const first = rows[0]!;
    const last = rows.at(-1)!;
    const seconds = (last.wallTime - first.wallTime) / 1000;
    if (seconds <= 0 || last.step <= first.step) return;
    const stepsPerSecond = (last.step - first.step) / seconds;
    this.opts.emit('run.progress', {
      runId: run.id,
      step: last.step,
      totalSteps: run.totalSteps,
      imagesPerSecond: stepsPerSecond * run.config.batchSize,
      etaSeconds: Math.max(0, (run.totalSteps - last.step) / stepsPerSecond),
    });
  }

  close(): void {
    clearInterval(this.timer);
  }
}
