import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, startRun, studioWithDataset } from '../../helpers/studio.js';
import { tinyModel } from '../../helpers/train-config.js';

/**
 * A latest checkpoint damaged on disk (bytes overwritten in its middle, as a bad sector or a
 * half-finished copy leaves it): the run goes on from the newest checkpoint that verifies, says
 * which and what it cost, and nothing samples from the damaged weights.
 */
describe('a damaged checkpoint', () => {
  it('is set aside on resume, loudly, for the newest good one; its step and history stay true', async () => {
    const { s, datasetId } = await studioWithDataset();
    const config = {
      ...tinyModel,
      resolution: 32 as const,
      steps: 6,
      metricsEvery: 2,
      keepCheckpoints: 5,
      threads: 1,
    };
    const run = await startRun(s, { datasetId, config });
    await s.training.whenIdle(run.id);
    await api(s, 'training.continue', { id: run.id, changes: { steps: 10 } });
    await s.training.whenIdle(run.id);
    expect(s.runs.checkpoints(run.id).map((c) => c.step)).toEqual([6, 10]);
    const latest = path.join(s.options.dataDir, 'runs', run.id, s.runs.checkpoints(run.id)[1]!.file);
    const bytes = fs.readFileSync(latest);
    bytes.fill(0x5a, Math.floor(bytes.length / 2), Math.floor(bytes.length / 2) + 4096);
    fs.writeFileSync(latest, bytes);

    // The explorer refuses the damaged weights rather than draw from them.
    await expect(api(s, 'latent.samples', { runId: run.id, seeds: [1] })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/step 10 is damaged .*Choose another checkpoint/),
    });
    // A continuation asked to start from it is refused, naming the file and the others.
    await expect(
      api(s, 'training.continue', { id: run.id, fromStep: 10, changes: { steps: 14 } }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/step 10 .*step-0000010\.ckpt.*does not match its checksum.*steps 6/),
    });

    const resumed = await api(s, 'training.continue', { id: run.id, changes: { steps: 14 } });
    expect(resumed.step).toBe(6);
    await s.training.whenIdle(run.id);
    const detail = await api(s, 'runs.get', { id: run.id });
    expect(detail).toMatchObject({ status: 'finished', step: 14 });
    expect(detail.history.find((e) => e.kind === 'continued' && e.damagedCheckpoints)).toMatchObject({
      step: 6,
      fromStep: 6,
      damagedCheckpoints: [
        {
          step: 10,
          file: 'checkpoints/step-0000010.ckpt.damaged',
          reason: 'its data does not match its checksum',
        },
      ],
    });
    // Kept for the user to look at, never resumed from; the curve has no gap and no step twice.
    expect(fs.existsSync(`${latest}.damaged`)).toBe(true);
    expect(s.runs.checkpoints(run.id).map((c) => c.step)).toEqual([6, 14]);
    const dLoss = s.runs.metrics(run.id, ['dLoss'], 1000)['dLoss']!.map((p) => p.step);
    expect(dLoss).toEqual([2, 4, 6, 8, 10, 12, 14]);
  });
});
