import fs from 'node:fs';
import path from 'node:path';
import type { TrainConfig } from '../../../shared/config.js';
import { writeFileAtomic } from '../../common/atomic-files.js';
import { dataPaths } from '../../common/paths.js';
import type { RunStore } from '../../store/runs.js';
import { checkpointDamage } from '../checkpoint-file.js';
import { checkpointStep } from '../run-files.js';
import type { MetricRow } from '../../store/runs.js';
import { describeRun, metricsLogFile, metricsLogLines, runDescriptionFile } from './run-description.js';

/** A checkpoint that did not verify and was set aside (its file renamed `….damaged`). */
export interface SetAside {
  step: number;
  file: string;
  reason: string;
}

/**
 * A run's folder on disk (`runs/<id>/`: config.json, run.json, metrics.ndjson, samples/,
 * checkpoints/) kept in step with what the store says of it: made when the run is created,
 * described as it changes (run-description.ts: enough to rebuild a lost store), checkpoints
 * adopted, verified, pruned and discarded, samples past a rewind removed, and the folder removed
 * with the run.
 */
export class CheckpointFiles {
  private readonly describing = new Map<string, Promise<void>>();

  constructor(
    private readonly runs: RunStore,
    private readonly dataDir: string,
  ) {}

  folder(runId: string): string {
    return dataPaths.run(this.dataDir, runId);
  }

  async create(runId: string, config: TrainConfig, datasetSize: number): Promise<void> {
    fs.mkdirSync(dataPaths.runSamples(this.dataDir, runId), { recursive: true });
    fs.mkdirSync(dataPaths.runCheckpoints(this.dataDir, runId), { recursive: true });
    await writeFileAtomic(
      path.join(this.folder(runId), 'config.json'),
      JSON.stringify({ datasetSize, ...config }, null, 2),
    );
  }

  /**
   * A process killed between a checkpoint's rename and its message leaves a complete checkpoint
   * file (written atomically) that the store does not know. It is recorded when the store holds
   * the run's curves up to its step, so resuming loses nothing. Otherwise the curve points before
   * it died with the process (the message's handler would have saved them first): continuing
   * from it would leave a gap in the curves, so it is deleted and those steps are trained again
   * from the checkpoint before.
   */
  adopt(runId: string, recordedStep: number): void {
    const folder = dataPaths.runCheckpoints(this.dataDir, runId);
    if (!fs.existsSync(folder)) return;
    const known = new Set(this.runs.checkpoints(runId).map((c) => c.step));
    for (const name of fs.readdirSync(folder)) {
      const step = checkpointStep(name);
      if (step === null || known.has(step)) continue;
      if (step <= recordedStep) this.runs.addCheckpoint(runId, step, `checkpoints/${name}`);
      else fs.rmSync(path.join(folder, name), { force: true });
    }
  }

  /**
   * Writes what the folder says of its run (run.json) as the store now has it. Best effort: a
   * full disk is met by the store's own writes, and the next change writes it again.
   */
  describe(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    const text = JSON.stringify(describeRun(run, this.runs.history(runId)), null, 2);
    // One write at a time per run, in order: a slower older write must not land last.
    const previous = this.describing.get(runId) ?? Promise.resolve();
    const next = previous
      .then(() => writeFileAtomic(path.join(this.folder(runId), runDescriptionFile), text))
      .catch((err: unknown) =>
        console.warn(`[training] ${runId}: run.json not written: ${(err as Error).message.split('\n')[0]}`),
      )
      .finally(() => {
        if (this.describing.get(runId) === next) this.describing.delete(runId);
      });
    this.describing.set(runId, next);
  }

  /** Resolves when every description begun has been written (before the studio closes). */
  async settled(): Promise<void> {
    await Promise.all(this.describing.values());
  }

  /** Appends chart points to the folder's log, as the store records them. */
  logMetrics(runId: string, rows: readonly MetricRow[]): void {
    try {
      fs.appendFileSync(path.join(this.folder(runId), metricsLogFile), metricsLogLines(rows));
    } catch (err) {
      console.warn(
        `[training] ${runId}: metrics.ndjson not written: ${(err as Error).message.split('\n')[0]}`,
      );
    }
  }

  /** Why the checkpoint's file cannot be resumed from, or null when it verifies. */
  async damage(runId: string, file: string): Promise<string | null> {
    let bytes: Uint8Array;
    try {
      bytes = await fs.promises.readFile(path.join(this.folder(runId), file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'its file is missing';
      return `its file cannot be read (${(error as Error).message.split('\n')[0]})`;
    }
    return checkpointDamage(bytes);
  }

  /**
   * Sets aside the newest checkpoints whose files do not verify (damaged, cut short, gone), down
   * to the newest that does: out of the store, the file (if any) renamed `….damaged` so nothing
   * is deleted that the user may want to look at. A resume then goes on from a good one.
   */
  async setAsideDamaged(runId: string): Promise<SetAside[]> {
    const setAside: SetAside[] = [];
    for (const checkpoint of [...this.runs.checkpoints(runId)].reverse()) {
      const reason = await this.damage(runId, checkpoint.file);
      if (reason === null) break;
      const file = path.join(this.folder(runId), checkpoint.file);
      await fs.promises.rename(file, `${file}.damaged`).catch(() => undefined);
      this.runs.removeCheckpoint(runId, checkpoint.step);
      setAside.push({ step: checkpoint.step, file: `${checkpoint.file}.damaged`, reason });
    }
    return setAside;
  }

  /** Keeps the newest `keep` checkpoints that are not starred (and every starred one). */
  prune(runId: string, keep: number): void {
    const removable = this.runs.checkpoints(runId).filter((c) => !c.starred);
    for (const c of removable.slice(0, Math.max(0, removable.length - keep))) {
      this.runs.removeCheckpoint(runId, c.step);
      fs.rmSync(path.join(this.folder(runId), c.file), { force: true });
    }
  }

  /**
   * Back to the checkpoint at `fromStep` (null: the start): the checkpoints named in `discard`
   * and the samples past it show a model that is no more, and their steps are trained again.
   */
  rewind(runId: string, fromStep: number | null, discard: readonly number[]): void {
    const dir = this.folder(runId);
    for (const step of discard) {
      const file = this.runs.checkpoints(runId).find((c) => c.step === step)?.file;
      this.runs.removeCheckpoint(runId, step);
      if (file) fs.rmSync(path.join(dir, file), { force: true });
    }
    for (const sample of this.runs.samples(runId).filter((s) => s.step > (fromStep ?? -1))) {
      fs.rmSync(path.join(dir, sample.file), { force: true });
    }
  }

  remove(runId: string): void {
    fs.rmSync(this.folder(runId), { recursive: true, force: true });
  }
}
