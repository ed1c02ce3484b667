import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { trainConfigSchema, type TrainConfigInput } from '../../../shared/config.js';
import type { EventName, EventPayloads } from '../../../shared/events.js';
import type { TrainingEstimate } from '../../../shared/types.js';
import { ApiError } from '../../../shared/errors.js';
import { Studio } from '../../../main/studio.js';
import {
  Calibrator,
  augmentsFor,
  expectedSeconds,
  scheduledQualityPoints,
  scheduledSamples,
  type MeasureFn,
} from '../../../main/training/host/calibration.js';
import type { CalibrationRequest, FromCalibration, Measurement } from '../../../main/training/protocol.js';
import { tempDir } from '../../helpers/temp.js';

const config = (patch: TrainConfigInput = {}) => trainConfigSchema.parse(patch);

const measurement = (patch: Partial<Measurement> = {}): Measurement => ({
  backend: 'wasm',
  threads: 1,
  notes: [],
  startupSeconds: 2,
  secondsPerStep: 0.5,
  timedSteps: 8,
  sampleSeconds: 0.2,
  swdSeconds: 1.5,
  checkpointSeconds: 0.3,
  ...patch,
});

type Emitted = { [E in EventName]: { name: E; payload: EventPayloads[E] } }[EventName];

/** A measurement that resolves when the test says so, recording each request. */
function fakeMeasure() {
  const requests: CalibrationRequest[] = [];
  const pending: { resolve(m: Measurement): void; reject(e: Error): void }[] = [];
  const measure: MeasureFn = (request, onProgress) => {
    requests.push(request);
    onProgress({ type: 'progress', backend: null, done: 0, total: 5 });
    const result = new Promise<Measurement>((resolve, reject) => pending.push({ resolve, reject }));
    return { result, cancel: () => undefined };
  };
  /** Settles the oldest running measurement. */
  const finish = async (m: Measurement | Error) => {
    const next = pending.shift();
    if (!next) throw new Error('nothing is being measured');
    if (m instanceof Error) next.reject(m);
    else next.resolve(m);
    await new Promise((r) => setTimeout(r, 20));
  };
  return { measure, requests, finish };
}

function calibrator(
  dataDir: string,
  measure: MeasureFn,
  extra: { busy?: () => boolean; machine?: string } = {},
) {
  const events: Emitted[] = [];
  const c = new Calibrator({
    dataDir,
    emit: (name, payload) => events.push({ name, payload } as Emitted),
    appVersion: '0.0.0-test',
    busy: extra.busy ?? (() => false),
    measure,
    machine: extra.machine ?? 'this machine',
  });
  return { c, events };
}

describe('training.estimate', () => {
  let studio: Studio | null = null;
  afterEach(async () => {
    await studio?.close();
    studio = null;
  });

  // First in the file: the tests below load TensorFlow.js into this process themselves.
  it('times the model in a worker thread, never loading TensorFlow.js here, then answers from the cache', async () => {
    expect('_tfengine' in globalThis).toBe(false);
    studio = new Studio({ dataDir: tempDir(), shell: 'serve' });
    const progress: EventPayloads['training.calibration'][] = [];
    studio.events.subscribe((event) => {
      if (event.name === 'training.calibration') progress.push(event.payload);
    });
    const input = {
      config: { backend: 'cpu', resolution: 32, width: 0.125, latentSize: 8, batchSize: 4, steps: 300 },
    };
    const first = await studio.router.call('training.estimate', input);
    expect(first.ok, JSON.stringify(first)).toBe(true);
    const estimate = (first as { result: TrainingEstimate }).result;
    expect(estimate).toMatchObject({ backend: 'cpu', steps: 300, fresh: true, threads: null });
    expect(estimate.secondsPerStep).toBeGreaterThan(0);
    expect(estimate.totalSeconds).toBeGreaterThan(300 * estimate.secondsPerStep);
    // Progress came as the steps were timed, on the backend that was chosen, up to the last.
    const timed = progress.filter((p) => p.done > 0);
    expect(timed.length).toBeGreaterThanOrEqual(1);
    expect(timed.every((p, i) => i === 0 || p.done > timed[i - 1]!.done)).toBe(true);
    expect(timed.every((p) => p.backend === 'cpu' && p.done <= p.total)).toBe(true);
    expect(timed.at(-1)!.done).toBe(timed.at(-1)!.total);
    expect('_tfengine' in globalThis).toBe(false);

    const again = await studio.router.call('training.estimate', { config: { ...input.config, steps: 600 } });
    expect(again).toMatchObject({ ok: true, result: { fresh: false, steps: 600 } });
  });

  it('refuses an invalid setting naming it', async () => {
    studio = new Studio({ dataDir: tempDir(), shell: 'serve' });
    const bad = await studio.router.call('training.estimate', { config: { batchSize: 0 } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'config.batchSize' } });
  });
});

describe('expected duration', () => {
  it('counts the sample grids and quality points the schedule takes', () => {
    expect(scheduledSamples(5_000)).toBe(0);
    // 10 s, then every 15 s: 10, 25, 40, 55.
    expect(scheduledSamples(60_000)).toBe(4);
    // …115 at 15 s, then every 30 s from 130 to 580, then every 2 minutes: 610, 730.
    expect(scheduledSamples(12 * 60_000)).toBe(8 + 16 + 1);
    expect(scheduledQualityPoints(29_000)).toBe(1);
    expect(scheduledQualityPoints(30_000)).toBe(2);
    expect(scheduledQualityPoints(30_000 + 3 * 60_000)).toBe(3);
  });

  it('is the steps plus start-up, samples, quality points and checkpoints of a run that long', () => {
    const m = measurement();
    const c = config({ steps: 2000, checkpointMinutes: 5 });
    const { total, overhead } = expectedSeconds(m, c);
    const ms = total * 1000;
    const checkpoints = 1 + Math.floor(total / 300);
    expect(overhead).toBeCloseTo(
      2 + (1 + scheduledSamples(ms)) * 0.2 + scheduledQualityPoints(ms) * 1.5 + checkpoints * 0.3,
      6,
    );
    expect(total).toBeCloseTo(1000 + overhead, 6);
    // Samples every N steps come on top of those by time.
    expect(expectedSeconds(m, config({ steps: 2000, sampleEvery: 100 })).overhead).toBeCloseTo(
      overhead + 20 * 0.2,
      1,
    );
  });

  it("decides DiffAugment 'auto' as the engine does", async () => {
    const { augments } = await import('../../../main/training/engine/trainer.js');
    for (const diffAugment of ['auto', 'on', 'off'] as const) {
      for (const size of [10, 999, 4999, 5000, 20_000]) {
        const c = config({ diffAugment });
        expect(augmentsFor(c, size), `${diffAugment} at ${size}`).toBe(augments(c, size));
      }
    }
  });
});

describe('Calibrator', () => {
  it('measures a model shape once, then answers from the cache in the data folder', async () => {
    const dir = tempDir();
    const fake = fakeMeasure();
    const { c, events } = calibrator(dir, fake.measure);
    const first = c.estimate(config({ resolution: 64, steps: 1000 }), 200);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.config).toMatchObject({ resolution: 64, diffAugment: 'on', batchSize: 64 });
    expect(events[0]).toMatchObject({
      name: 'training.calibration',
      payload: { label: '64 px, width 1, batch 64, DiffAugment', done: 0, total: 5 },
    });
    await fake.finish(measurement());
    const a = await first;
    expect(a).toMatchObject({ backend: 'wasm', steps: 1000, fresh: true, secondsPerStep: 0.5 });
    expect(a.imagesPerSecond).toBeCloseTo(128);
    expect(a.totalSeconds).toBeGreaterThan(500);

    // Steps, rates and the loss do not change a step's cost: no new measurement.
    const b = await c.estimate(config({ resolution: 64, steps: 4000, lrG: 0.001, loss: 'hinge' }), 200);
    expect(fake.requests).toHaveLength(1);
    expect(b.fresh).toBe(false);
    expect(b.totalSeconds).toBeGreaterThan(3.5 * a.totalSeconds);

    // Another process on the same data folder reads the cache.
    const again = calibrator(dir, fake.measure);
    expect((await again.c.estimate(config({ resolution: 64 }), 200)).fresh).toBe(false);
    expect(fs.existsSync(path.join(dir, 'calibration.json'))).toBe(true);

    // The batch is part of the shape; so is the machine.
    void c.estimate(config({ resolution: 64, batchSize: 32 }), 200);
    expect(fake.requests).toHaveLength(2);
    await fake.finish(measurement());
    const elsewhere = calibrator(dir, fake.measure, { machine: 'another machine' });
    void elsewhere.c.estimate(config({ resolution: 64 }), 200);
    expect(fake.requests).toHaveLength(3);
    await fake.finish(measurement());
  });

  it('reports progress at most about ten times a second, and always the last step', async () => {
    const measure: MeasureFn = (_request, onProgress) => {
      for (let done = 0; done <= 50; done++)
        onProgress({ type: 'progress', backend: 'webgpu', done, total: 50 });
      return { result: Promise.resolve(measurement({ backend: 'webgpu' })), cancel: () => undefined };
    };
    const { c, events } = calibrator(tempDir(), measure);
    await c.estimate(config({ backend: 'webgpu' }), 100);
    const done = events.flatMap((e) => (e.name === 'training.calibration' ? [e.payload.done] : []));
    expect(done).toEqual([0, 50]);
  });

  it("keeps what 'auto' measured under the backend it chose", async () => {
    const fake = fakeMeasure();
    const { c } = calibrator(tempDir(), fake.measure);
    const auto = c.estimate(config({ backend: 'auto' }), 100);
    await fake.finish(measurement({ backend: 'wasm' }));
    expect((await auto).backend).toBe('wasm');
    expect((await c.estimate(config({ backend: 'wasm' }), 100)).fresh).toBe(false);
    expect(fake.requests).toHaveLength(1);
  });

  it('runs one calibration at a time, shares it, and drops superseded requests', async () => {
    const fake = fakeMeasure();
    const { c } = calibrator(tempDir(), fake.measure);
    const a1 = c.estimate(config({ resolution: 32 }), 100);
    const a2 = c.estimate(config({ resolution: 32, steps: 50 }), 100);
    const b = c.estimate(config({ resolution: 64 }), 100);
    const d = c.estimate(config({ resolution: 128 }), 100);
    expect(fake.requests).toHaveLength(1);
    await expect(b).rejects.toMatchObject({ code: 'conflict' });
    await fake.finish(measurement());
    expect((await a1).fresh).toBe(true);
    expect((await a2).steps).toBe(50);
    // The latest request is measured next.
    expect(fake.requests.map((r) => r.config.resolution)).toEqual([32, 128]);
    await fake.finish(measurement({ secondsPerStep: 2 }));
    expect((await d).secondsPerStep).toBe(2);
  });

  it('measures nothing while a run trains, says why, and measures once idle', async () => {
    const fake = fakeMeasure();
    let busy = true;
    const { c } = calibrator(tempDir(), fake.measure, { busy: () => busy });
    const refused = await c.estimate(config(), 100).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'unavailable' });
    expect((refused as Error).message).toMatch(/training now.*start anyway/);
    expect(fake.requests).toHaveLength(0);
    busy = false;
    const measured = c.estimate(config(), 100);
    expect(fake.requests).toHaveLength(1);
    await fake.finish(measurement({ secondsPerStep: 0.5 }));
    expect(await measured).toMatchObject({ measuredWhileBusy: false, secondsPerStep: 0.5, fresh: true });
  });

  it('measures again once idle what a run started during its measurement disturbed', async () => {
    const fake = fakeMeasure();
    let busy = false;
    const { c } = calibrator(tempDir(), fake.measure, { busy: () => busy });
    const first = c.estimate(config(), 100);
    busy = true; // a run starts while the steps are timed
    await fake.finish(measurement({ secondsPerStep: 1 }));
    expect(await first).toMatchObject({ measuredWhileBusy: true });
    // Still busy: the cached one is the best there is.
    expect((await c.estimate(config(), 100)).fresh).toBe(false);
    busy = false;
    const second = c.estimate(config(), 100);
    expect(fake.requests).toHaveLength(2);
    await fake.finish(measurement({ secondsPerStep: 0.5 }));
    expect(await second).toMatchObject({ measuredWhileBusy: false, secondsPerStep: 0.5, fresh: true });
  });

  it('says what failed and what to do, and goes on with the next request', async () => {
    const fake = fakeMeasure();
    const { c } = calibrator(tempDir(), fake.measure);
    const failing = c.estimate(config({ backend: 'webgpu' }), 100).catch((e: unknown) => e);
    const next = c.estimate(config({ backend: 'cpu' }), 100);
    await fake.finish(new Error('the GPU went away'));
    const error = await failing;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'unavailable' });
    expect((error as ApiError).message).toMatch(/the GPU went away\. Try another backend/);
    await fake.finish(measurement({ backend: 'cpu' }));
    expect((await next).backend).toBe('cpu');
  });
});

describe('calibrate (in the worker)', () => {
  it('times steady-state steps after a warm-up, reporting each', async () => {
    const { runCalibration } = await import('../../../main/training/worker/calibration.js');
    const messages: FromCalibration[] = [];
    await runCalibration(
      {
        type: 'calibrate',
        backend: 'cpu',
        threads: 0,
        config: config({ resolution: 32, width: 0.125, latentSize: 8, batchSize: 4, backend: 'cpu' }),
        minSeconds: 0.2,
        maxSteps: 6,
      },
      (m) => messages.push(m),
    );
    const result = messages.at(-1);
    expect(result?.type, JSON.stringify(result)).toBe('result');
    if (result?.type !== 'result') return;
    const m = result.measurement;
    expect(m.backend).toBe('cpu');
    expect(m.timedSteps).toBeGreaterThanOrEqual(3);
    expect(m.timedSteps).toBeLessThanOrEqual(6);
    for (const key of ['secondsPerStep', 'sampleSeconds', 'swdSeconds', 'checkpointSeconds'] as const) {
      expect(m[key], key).toBeGreaterThan(0);
    }
    const steps = messages.filter((x) => x.type === 'progress' && x.done > 0);
    expect(steps).toHaveLength(m.timedSteps);
  });
});
