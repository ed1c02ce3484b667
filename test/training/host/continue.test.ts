import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Studio } from '../../../main/studio.js';
import { readCheckpointMeta } from '../../../main/training/checkpoint-file.js';
import type { RunComparison, RunDetail, RunSummary } from '../../../shared/types.js';
import { writePngs } from '../../helpers/images.js';
import { startRun, studioWithDataset, untilStep, type StudioWithDataset } from '../../helpers/studio.js';
import { tempDir } from '../../helpers/temp.js';
import { tinyModel } from '../../helpers/train-config.js';

/** A dataset named 'faces' (after its folder), which the run names below start with. */
async function studioWithFaces(): Promise<StudioWithDataset> {
  const faces = await writePngs(path.join(tempDir(), 'faces'), 8, (i) => ({ r: 30 * i, g: 90, b: 160 }));
  return studioWithDataset({ images: faces });
}

const tiny = {
  ...tinyModel,
  resolution: 32 as const,
  steps: 12,
  metricsEvery: 2,
  sampleEvery: 6,
  keepCheckpoints: 5,
  threads: 1,
};

/** Calls the API as the UI and the CLI do, through the router and its validation. */
async function call<T>(s: Studio, method: string, input: unknown): Promise<T> {
  const envelope = await s.router.call(method, input);
  if (!envelope.ok) throw new Error(`${method}: ${envelope.error.message}`);
  return envelope.result as T;
}

function steps(s: Studio, runId: string): number[] {
  return s.runs.metrics(runId, ['dLoss'], 100_000)['dLoss']!.map((p) => p.step);
}

function losses(s: Studio, runId: string): Map<number, number> {
  return new Map(s.runs.metrics(runId, ['dLoss'], 100_000)['dLoss']!.map((p) => [p.step, p.value]));
}

describe('continuing a run', () => {
  it('trains a finished run to a new total with new learning rates from its last step', async () => {
    const { s, datasetId, events } = await studioWithFaces();
    const a = await call<RunSummary>(s, 'training.start', { datasetId, config: tiny });
    const b = await call<RunSummary>(s, 'training.start', { datasetId, config: tiny });
    // Told apart by their names: dataset, resolution, what differs from the preset, a number.
    expect(a.name).toBe('faces · 32 px · batch 4, width 0.125, z 16 · #1');
    expect(b.name).toBe('faces · 32 px · batch 4, width 0.125, z 16 · #2');
    await s.training.whenIdle(a.id);
    await s.training.whenIdle(b.id);
    expect(s.runs.get(a.id)).toMatchObject({ status: 'finished', step: 12 });
    expect(losses(s, a.id)).toEqual(losses(s, b.id));

    // Same seed, same data: only the learning rates tell the continued runs apart.
    const changes = { steps: 20, lrG: 0.001, lrD: 0.00005 };
    const continued = await call<RunSummary>(s, 'training.continue', { id: a.id, changes });
    expect(continued).toMatchObject({ totalSteps: 20, lrG: 0.001, lrD: 0.00005 });
    await call(s, 'training.continue', { id: b.id, changes: { steps: 20 } });
    await s.training.whenIdle(a.id);
    await s.training.whenIdle(b.id);

    const run = await call<RunDetail>(s, 'runs.get', { id: a.id });
    expect(run).toMatchObject({ status: 'finished', step: 20, totalSteps: 20 });
    expect(run.config).toMatchObject({ steps: 20, lrG: 0.001, lrD: 0.00005 });
    expect(steps(s, a.id)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    const la = losses(s, a.id);
    const lb = losses(s, b.id);
    for (const step of [2, 4, 6, 8, 10, 12]) expect(la.get(step)).toBe(lb.get(step));
    for (const step of [14, 16, 18, 20]) expect(la.get(step)).not.toBe(lb.get(step));

    // The final checkpoint was trained with the new config.
    const last = run.checkpoints.at(-1)!;
    expect(last.step).toBe(20);
    const file = s.runs.checkpoints(a.id).at(-1)!.file;
    const meta = readCheckpointMeta(fs.readFileSync(path.join(s.options.dataDir, 'runs', a.id, file)));
    expect(meta.config).toMatchObject({ steps: 20, lrG: 0.001, lrD: 0.00005 });

    // The history tells the story; the continuation is marked at its step.
    expect(run.history.map((e) => `${e.kind}@${e.step}`)).toEqual([
      'created@0',
      'started@0',
      'warning@0', // a dataset this small is worth a word when the run starts
      'finished@12',
      'continued@12',
      'started@12',
      'finished@20',
    ]);
    expect(run.history[4]).toMatchObject({
      fromStep: 12,
      changes: [
        { field: 'steps', from: 12, to: 20 },
        { field: 'lrG', from: 0.0002, to: 0.001 },
        { field: 'lrD', from: 0.0002, to: 0.00005 },
      ],
    });
    expect(run.history[5]!.trainSeconds).toBeGreaterThan(0);
    expect(run.stats.find((m) => m.name === 'dLoss')).toMatchObject({ lastStep: 20, count: 10 });
    expect(run.dataset).toMatchObject({ id: datasetId, name: 'faces', imageCount: 8 });

    // The UI heard it all: the final points before the end, no progress after it.
    const mine = events.filter((e) => 'runId' in e.payload && e.payload.runId === a.id);
    const lastMetrics = mine.findLast((e) => e.name === 'run.metrics');
    expect(lastMetrics?.name === 'run.metrics' && lastMetrics.payload.points.at(-1)?.step).toBe(20);
    const end = mine.findLastIndex((e) => e.name === 'run.status' && e.payload.status === 'finished');
    expect(mine.slice(end).some((e) => e.name === 'run.progress' || e.name === 'run.metrics')).toBe(false);
    expect(mine.some((e) => e.name === 'run.checkpoints')).toBe(true);
    expect(events.some((e) => e.name === 'run.updated' && e.payload.run.id === a.id)).toBe(true);

    // Compared, the two runs differ in exactly the learning rates; their curves share steps.
    const comparison = await call<RunComparison>(s, 'runs.compare', { ids: [a.id, b.id] });
    expect(comparison.differing).toEqual(['lrG', 'lrD']);
    expect(comparison.sampleSteps).toEqual([0, 6, 12, 18, 20]);
    const series = await call<{ runs: { metrics: Record<string, { step: number[] }> }[] }>(s, 'runs.series', {
      ids: [a.id, b.id],
      names: ['dLoss', 'gLoss'],
    });
    expect(series.runs[0]!.metrics['gLoss']!.step).toEqual(series.runs[1]!.metrics['gLoss']!.step);

    // Refused, saying why: a total it has reached, and a field that shapes the model.
    const reached = await s.router.call('training.continue', { id: a.id, changes: { steps: 20 } });
    expect(reached).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'changes.steps' } });
    const shape = await s.router.call('training.continue', { id: a.id, changes: { batchSize: 8 } });
    expect(shape).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('goes back to an earlier checkpoint, discarding what came after it', async () => {
    const { s, datasetId } = await studioWithFaces();
    const run = await startRun(s, { datasetId, config: { ...tiny, steps: 100_000, sampleEvery: 2 } });
    await untilStep(s, run.id, 4);
    await s.training.pause(run.id);
    const first = s.runs.get(run.id)!.step;
    await s.training.resume(run.id);
    await untilStep(s, run.id, first + 4);
    await s.training.pause(run.id);
    const second = s.runs.get(run.id)!.step;
    expect(s.runs.checkpoints(run.id).map((c) => c.step)).toEqual([first, second]);
    const laterFile = s.runs.checkpoints(run.id)[1]!.file;

    const laterSamples = s.runs.samples(run.id).filter((x) => x.step > first);
    expect(laterSamples.length).toBeGreaterThan(0);
    await call(s, 'training.continue', { id: run.id, fromStep: first, changes: { lrD: 0.0001 } });
    expect(fs.existsSync(path.join(s.options.dataDir, 'runs', run.id, laterFile))).toBe(false);
    for (const sample of laterSamples) {
      expect(fs.existsSync(path.join(s.options.dataDir, 'runs', run.id, sample.file))).toBe(false);
    }
    await untilStep(s, run.id, first + 2);
    await s.training.pause(run.id);
    const history = s.runs.history(run.id);
    expect(history.find((e) => e.kind === 'continued')).toMatchObject({
      step: first,
      fromStep: first,
      discardedCheckpoints: [second],
      changes: [{ field: 'lrD', from: 0.0002, to: 0.0001 }],
    });
    // The curve goes on from the checkpoint with no step twice and none missing.
    const recorded = steps(s, run.id);
    expect(recorded).toEqual(Array.from({ length: recorded.length }, (_, i) => (i + 1) * 2));
    expect(s.runs.checkpoints(run.id).map((c) => c.step)).toEqual([first, s.runs.get(run.id)!.step]);
  });
});
