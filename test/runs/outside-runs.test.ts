import { describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../main/api/event-bus.js';
import type { Studio } from '../../main/studio.js';
import { api, openStudio, startRun, studioWithDataset, untilStep } from '../helpers/studio.js';
import { tinyModel } from '../helpers/train-config.js';

/**
 * A run trained by another Studio on the same data folder (as `gan-studio train` beside the open
 * app) reaches this Studio's views as the events of a run trained here.
 */
describe('a run this process trains', () => {
  it('is never sent again after its end, even when no look saw it training', async () => {
    // The store is read by hand here: a continuation shorter than the 2 s between looks is the
    // case where the last look knew the run only as it was before it continued.
    const { s, datasetId, events } = await studioWithDataset({
      studio: { outsideRunsIntervalMs: 3_600_000 },
    });
    const tiny = { ...tinyModel, resolution: 32 as const, steps: 6, metricsEvery: 2, threads: 1 };
    const run = await startRun(s, { datasetId, config: tiny });
    await s.training.whenIdle(run.id);
    s.outsideRuns!.look();
    await api(s, 'training.continue', { id: run.id, changes: { steps: 10 } });
    await s.training.whenIdle(run.id);
    s.outsideRuns!.look();
    const mine = events.filter((e) => 'runId' in e.payload && e.payload.runId === run.id);
    const end = mine.findLastIndex((e) => e.name === 'run.status' && e.payload.status === 'finished');
    expect(end).toBeGreaterThan(0);
    expect(mine.slice(end).filter((e) => e.name === 'run.metrics' || e.name === 'run.progress')).toEqual([]);
  });
});

describe('a run another process trains', () => {
  it("reaches this process's views live: its row, every new point once, its samples and its end", async () => {
    const { s: trainer, datasetId } = await studioWithDataset();
    const viewer = openStudio(trainer.options.dataDir);
    const heard: AnyEvent[] = [];
    viewer.events.subscribe((e) => heard.push(e));

    const run = await startRun(trainer, {
      datasetId,
      config: { ...tinyModel, resolution: 32, steps: 60, metricsEvery: 2, sampleEvery: 20, threads: 1 },
    });
    expect(viewer.training.trainsHere(run.id)).toBe(false);
    await followUntilIdle(trainer, viewer, run.id);

    const of = <N extends AnyEvent['name']>(name: N) =>
      heard.filter((e): e is Extract<AnyEvent, { name: N }> => e.name === name);
    expect(of('run.updated').some((e) => e.payload.run.id === run.id)).toBe(true);

    // Every point from the first one heard to the last, each once, with the stored values.
    const sent = of('run.metrics').flatMap((e) => e.payload.points);
    expect(sent.length).toBeGreaterThan(0);
    const stored = viewer.runs.metrics(run.id, ['dLoss'], 100_000)['dLoss']!;
    const fromFirst = stored.filter((p) => p.step >= sent[0]!.step);
    expect(sent.map((p) => p.step)).toEqual(fromFirst.map((p) => p.step));
    expect(sent.map((p) => p.values['dLoss'])).toEqual(fromFirst.map((p) => p.value));
    expect(sent.every((p, i) => i === 0 || p.seconds >= sent[i - 1]!.seconds)).toBe(true);

    const samples = of('run.sample').map((e) => e.payload.step);
    const storedSamples = viewer.runs.samples(run.id).map((s) => s.step);
    expect(samples.length).toBeGreaterThan(0);
    expect(samples).toEqual(storedSamples.filter((step) => step >= samples[0]!));

    const statuses = of('run.status').filter((e) => e.payload.runId === run.id);
    // Heard when first seen too (a runs list that lacks the run reads itself again), then at its end.
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.at(-1)?.payload).toMatchObject({ status: 'finished', step: 60 });
  });

  it('is followed again from an earlier checkpoint when that process continues it from there', async () => {
    const { s: trainer, datasetId } = await studioWithDataset();
    const viewer = openStudio(trainer.options.dataDir);
    const run = await startRun(trainer, {
      datasetId,
      config: { ...tinyModel, resolution: 32, steps: 40, metricsEvery: 2, threads: 1, keepCheckpoints: 5 },
    });
    await untilStep(trainer, run.id, 10);
    await trainer.training.pause(run.id); // a checkpoint before the end
    await trainer.training.resume(run.id);
    await followUntilIdle(trainer, viewer, run.id);
    const [early] = trainer.runs.checkpoints(run.id);
    expect(early!.step).toBeLessThan(40);

    const heard: AnyEvent[] = [];
    viewer.events.subscribe((e) => heard.push(e));
    await trainer.training.continue(run.id, { fromStep: early!.step, changes: { steps: 50 } });
    await followUntilIdle(trainer, viewer, run.id);
    const sent = heard.flatMap((e) => (e.name === 'run.metrics' ? e.payload.points : []));
    const stored = viewer.runs.metrics(run.id, ['dLoss'], 100_000)['dLoss']!;
    // Everything after the checkpoint was trained again, and all of it was heard.
    expect(sent.map((p) => p.step)).toEqual(stored.filter((p) => p.step > early!.step).map((p) => p.step));
    expect(sent.at(-1)?.step).toBe(50);
  });
});

/** Looks as the viewer's timer does, but every 50 ms, until the trainer's run stops training. */
async function followUntilIdle(trainer: Studio, viewer: Studio, runId: string): Promise<void> {
  let idle = false;
  void trainer.training.whenIdle(runId).then(() => (idle = true));
  while (!idle) {
    viewer.outsideRuns!.look();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  viewer.outsideRuns!.look();
}
