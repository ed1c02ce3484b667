import fs from 'node:fs';
import path from 'node:path';
import type { TrainConfig } from '../../../shared/config.js';
import { writeFileAtomic } from '../../common/atomic-files.js';
import { dataPaths } from '../../common/paths.js';
import type { RunStore } from '../../store/runs.js';
import { checkpointDamage } from '../checkpoint-file.js';
import { checkpointStep } from '../run-files.js';

/** A checkpoint that did not verify and was set aside (its file renamed `….damaged`). */
export interface SetAside {
  step: number;
  file: string;
  reason: string;
}

/**
 * A run's folder on disk (`runs/<id>/`: config.json, samples/, checkpoints/) kept in step with
 * what the store says of it: made when the run is created, checkpoints adopted, pruned and
 * discarded, samples past a rewind removed, and the folder removed with the run.
 */
export class CheckpointFiles {
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
