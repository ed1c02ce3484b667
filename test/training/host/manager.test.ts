import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempFileFor } from '../../../main/common/temp-files.js';
import { openStudio, startRun, studioWithDataset, untilStep } from '../../helpers/studio.js';
import { tempDir } from '../../helpers/temp.js';
import { tinyModel } from '../../helpers/train-config.js';

const tiny = {
  ...tinyModel,
  resolution: 32 as const,
  steps: 100_000,
  metricsEvery: 2,
  sampleEvery: 50,
  keepCheckpoints: 1,
  threads: 1,
};

describe('TrainingManager', () => {
  it('pauses and resumes a run, keeps the last checkpoints plus starred ones, and streams events', async () => {
    const { s, datasetId, events } = await studioWithDataset();
    const run = await startRun(s, { datasetId, config: tiny });
    await untilStep(s, run.id, 6);
    expect((await s.training.pause(run.id)).status).toBe('paused');
    const first = s.runs.checkpoints(run.id);
    expect(first).toHaveLength(1);
    s.runs.setStarred(run.id, first[0]!.step, true);

    for (let round = 0; round < 2; round++) {
      const before = s.runs.get(run.id)!.step;
      await s.training.resume(run.id);
      await untilStep(s, run.id, before + 4);
      await s.training.pause(run.id);
    }
    const kept = s.runs.checkpoints(run.id);
    // The starred first checkpoint plus the newest one (keepCheckpoints: 1); the middle one pruned.
    expect(kept).toHaveLength(2);
    expect(kept[0]).toMatchObject({ step: first[0]!.step, starred: true });
    const dir = path.join(s.options.dataDir, 'runs', run.id, 'checkpoints');
    expect(fs.readdirSync(dir).sort()).toEqual(kept.map((c) => path.basename(c.file)).sort());

    // Metrics went to SQLite with no gap across the pauses.
    const steps = s.runs.metrics(run.id, ['dLoss'], 100_000)['dLoss']!.map((p) => p.step);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => (i + 1) * 2));
    expect(s.runs.samples(run.id)[0]).toMatchObject({ step: 0 });

    const names = new Set(events.map((e) => e.name));
    expect(names).toEqual(
      new Set([
        'dataset.progress',
        'dataset.status',
        'run.status',
        'run.progress',
        'run.metrics',
        'run.sample',
        'run.checkpoints',
        'run.updated',
        'run.warning', // the test dataset is small
      ]),
    );
    // Streamed points carry the wall and training time the stored series give the same steps, so
    // a live chart on a time axis goes on as it will read back (pauses left out).
    const streamed = new Map<number, { wallTime: number; seconds: number }>();
    for (const e of events) {
      if (e.name === 'run.metrics')
        for (const p of e.payload.points) if ('dLoss' in p.values) streamed.set(p.step, p);
    }
    const stored = s.runService.series([run.id], ['dLoss'], 100_000).runs[0]!.metrics['dLoss']!;
    expect(stored.step.length).toBeGreaterThan(6);
    stored.step.forEach((step, i) => {
      expect(streamed.get(step)?.wallTime, `step ${step}`).toBe(stored.wall[i]);
      expect(streamed.get(step)?.seconds, `step ${step}`).toBeCloseTo(stored.seconds[i]!, 6);
    });
    // Across two pauses training time runs on while wall time jumps.
    expect(stored.seconds.at(-1)! - stored.seconds[0]!).toBeLessThan(
      (stored.wall.at(-1)! - stored.wall[0]!) / 1000,
    );

    expect((await s.training.stop(run.id)).status).toBe('stopped');
    expect(s.runs.get(run.id)).toMatchObject({ backend: 'wasm', threads: 1 });
  });

  it('queues a second run while one trains, then starts it', async () => {
    const { s, datasetId } = await studioWithDataset();
    const a = await startRun(s, { datasetId, config: tiny });
    const b = await startRun(s, { datasetId, config: { ...tiny, steps: 4 } });
    expect(s.runs.get(b.id)?.status).toBe('queued');
    await untilStep(s, a.id, 2);
    await s.training.stop(a.id);
    await s.training.whenIdle(b.id);
    expect(s.runs.get(b.id)).toMatchObject({ status: 'finished', step: 4 });
  });

  it('refuses an invalid config and a missing dataset with errors naming the field', async () => {
    const { s, datasetId } = await studioWithDataset();
    await expect(startRun(s, { datasetId, config: { batchSize: 0 } })).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'config.batchSize',
    });
    await expect(startRun(s, { datasetId: 'ds-missing', config: {} })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(s.runs.list()).toEqual([]);
  });
});

describe('resuming after a crash', () => {
  it('records a checkpoint file the store never heard of and continues from it', async () => {
    const { s, datasetId } = await studioWithDataset();
    const run = await startRun(s, { datasetId, config: { ...tiny, keepCheckpoints: 5 } });
    await untilStep(s, run.id, 4);
    await s.training.pause(run.id);
    const [saved] = s.runs.checkpoints(run.id);
    // As if the process died after renaming the checkpoint into place but before recording it.
    s.runs.removeCheckpoint(run.id, saved!.step);
    s.runs.update(run.id, { status: 'interrupted' });
    await s.training.resume(run.id);
    await untilStep(s, run.id, saved!.step + 2);
    await s.training.pause(run.id);
    const steps = s.runs.metrics(run.id, ['dLoss'], 100_000)['dLoss']!.map((p) => p.step);
    // Continued from the file's step: no step recorded twice, none missing.
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => (i + 1) * 2));
    expect(s.runs.checkpoints(run.id).map((c) => c.step)).toEqual([saved!.step, expect.any(Number)]);
  });

  it('does not continue from such a file when the curve points before it were lost', async () => {
    const { s, datasetId } = await studioWithDataset();
    const run = await startRun(s, { datasetId, config: { ...tiny, keepCheckpoints: 5 } });
    await untilStep(s, run.id, 6);
    await s.training.pause(run.id);
    const [saved] = s.runs.checkpoints(run.id);
    const file = path.join(s.options.dataDir, 'runs', run.id, saved!.file);
    // As if the process died after renaming the checkpoint into place, with its last points unsaved.
    s.runs.removeCheckpoint(run.id, saved!.step);
    s.runs.truncateAfter(run.id, 2);
    s.runs.update(run.id, { status: 'interrupted', step: 2 });
    await s.training.resume(run.id);
    await untilStep(s, run.id, saved!.step + 2);
    await s.training.pause(run.id);
    // Trained again from the start: the curves have no gap, and the file is gone.
    const steps = s.runs.metrics(run.id, ['dLoss'], 100_000)['dLoss']!.map((p) => p.step);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => (i + 1) * 2));
    expect(steps.at(-1)).toBeGreaterThan(saved!.step);
    expect(fs.existsSync(file)).toBe(false);
    expect(s.runs.checkpoints(run.id).map((c) => c.step)).not.toContain(saved!.step);
  });
});

describe('opening a data folder', () => {
  it("deletes temporary run files a killed process left, and keeps a live process's", async () => {
    const dataDir = tempDir();
    const checkpoints = path.join(dataDir, 'runs', 'run-1', 'checkpoints');
    fs.mkdirSync(checkpoints, { recursive: true });
    const live = path.basename(tempFileFor('x')).replace(`.${process.pid}-`, `.${process.ppid}-`);
    const files = {
      // As this version names them, and as older versions did (pid and time only).
      killed: path.join(checkpoints, '.step-0000200.ckpt.999999999-00000000-ab12cd34.tmp'),
      killedLegacy: path.join(checkpoints, '.step-0000100.ckpt.999999999.1764000000000.tmp'),
      config: path.join(dataDir, 'runs', 'run-1', '.config.json.999999999.1764000000000.tmp'),
      training: path.join(checkpoints, `.step-0000300.ckpt${live.slice(1)}`),
      checkpoint: path.join(checkpoints, 'step-0000100.ckpt'),
    };
    for (const file of Object.values(files)) fs.writeFileSync(file, Buffer.alloc(1024));
    openStudio(dataDir);
    expect(Object.keys(files).filter((k) => fs.existsSync(files[k as keyof typeof files]))).toEqual([
      'training',
      'checkpoint',
    ]);
  });
});
