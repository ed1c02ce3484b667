import { describe, expect, it } from 'vitest';
import { api, startRun, studioWithDataset, untilStep } from '../helpers/studio.js';
import { tinyModel } from '../helpers/train-config.js';

describe('runs.list', () => {
  it("gives a training run's time so far, not the total its session started with", async () => {
    const { s, datasetId } = await studioWithDataset();
    const run = await startRun(s, {
      datasetId,
      config: { ...tinyModel, resolution: 32, steps: 100_000, threads: 1, sampleEvery: 0 },
    });
    await untilStep(s, run.id, 2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [listed] = await api(s, 'runs.list', {});
    expect(listed).toMatchObject({ id: run.id, status: 'running' });
    expect(listed!.trainSeconds).toBeGreaterThanOrEqual(1.5);
    // Training time only: never more than the wall time since the run was created.
    expect(listed!.trainSeconds).toBeLessThanOrEqual((Date.now() - listed!.createdAt) / 1000);
    await api(s, 'training.stop', { id: run.id });
  });
});
