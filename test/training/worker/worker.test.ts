import fs from 'node:fs';
import path from 'node:path';
import { startWorker } from '../../../main/common/worker-start.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainConfigSchema, type TrainConfigInput } from '../../../shared/config.js';
import type { Checkpoint } from '../../../main/training/engine/checkpoint.js';
import { readCheckpointMeta } from '../../../main/training/checkpoint-file.js';
import type { StepMetrics } from '../../../main/training/engine/trainer.js';
import type { FromWorker, StartMessage, ToWorker } from '../../../main/training/protocol.js';
import { TrainingSession, type SessionDeps } from '../../../main/training/worker/session.js';
import { writeTestCache } from '../helpers.js';
import { fileTempDir } from '../../helpers/temp.js';

let dir: string;
let cacheFile: string;

beforeAll(() => {
  dir = fileTempDir('gan-worker-');
  cacheFile = path.join(dir, 'cache.gsdc');
  writeTestCache(cacheFile, 8);
});

function startMessage(runDir: string, config: TrainConfigInput, resumeFrom?: string): StartMessage {
  return {
    type: 'start',
    runId: 'run',
    runDir,
    cacheFile,
    config: trainConfigSchema.parse({ width: 0.125, latentSize: 16, batchSize: 4, ...config }),
    backend: 'wasm',
    datasetSize: 8,
    ...(resumeFrom ? { resumeFrom } : {}),
  };
}

/** A loss point (the sample grids' diversity and the quality curve come as points of their own). */
function isLossPoint(m: FromWorker): m is Extract<FromWorker, { type: 'metrics' }> {
  return m.type === 'metrics' && 'dLoss' in m.values;
}

/** Runs a worker thread until 'ended'; `react` may answer messages (e.g. pause). */
function runWorker(
  start: StartMessage,
  react?: (m: FromWorker, send: (m: ToWorker) => void) => void,
): Promise<FromWorker[]> {
  const worker = startWorker(new URL('../../../main/training/worker/worker', import.meta.url));
  const messages: FromWorker[] = [];
  return new Promise((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      messages.push(m);
      react?.(m, (out) => worker.postMessage(out));
      if (m.type === 'ended') {
        void worker.terminate();
        resolve(messages);
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (!messages.some((m) => m.type === 'ended'))
        reject(new Error(`worker exited (${code}) before 'ended'`));
    });
    worker.postMessage(start);
  });
}

describe('training worker thread', () => {
  it('trains to the end: backend, metrics, samples, checkpoint, ended', async () => {
    const runDir = path.join(dir, 'run-a');
    const messages = await runWorker(startMessage(runDir, { steps: 6, metricsEvery: 2, sampleEvery: 3 }));
    const of = <T extends FromWorker['type']>(type: T) =>
      messages.filter((m): m is Extract<FromWorker, { type: T }> => m.type === type);

    expect(of('backend')[0]?.backend).toBe('wasm');
    // Loss points; the sample grids' diversity and the quality curve come as points of their own.
    const losses = of('metrics').filter((m) => 'dLoss' in m.values);
    expect(losses.map((m) => m.step)).toEqual([2, 4, 6]);
    expect(
      of('metrics')
        .filter((m) => 'diversity' in m.values)
        .map((m) => m.step),
    ).toEqual([0, 3, 6]);
    expect(
      of('metrics')
        .filter((m) => 'swd' in m.values)
        .map((m) => m.step),
    ).toEqual([6]);
    for (const m of losses) {
      for (const key of ['dLoss', 'gLoss', 'dReal', 'dFake', 'stepMs', 'imagesPerSecond']) {
        expect(Number.isFinite(m.values[key]), key).toBe(true);
      }
    }
    expect(of('progress').map((m) => m.step)).toEqual([2, 4, 6]);
    expect(of('sample').map((m) => m.step)).toEqual([0, 3, 6]);
    expect(of('checkpoint').map((m) => m.step)).toEqual([6]);
    expect(of('ended')).toEqual([{ type: 'ended', reason: 'finished', step: 6 }]);
    for (const m of [...of('sample'), ...of('checkpoint')])
      expect(fs.existsSync(path.join(runDir, m.file)), m.file).toBe(true);
    const png = fs.readFileSync(path.join(runDir, 'samples/step-0000006.png'));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(readCheckpointMeta(fs.readFileSync(path.join(runDir, 'checkpoints/step-0000006.ckpt'))).step).toBe(
      6,
    );
    expect(fs.readdirSync(path.join(runDir, 'checkpoints')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('pauses with a checkpoint, resumes from it, and stops', async () => {
    const runDir = path.join(dir, 'run-b');
    const config = { steps: 1000, metricsEvery: 1, sampleEvery: 1000 };
    const first = await runWorker(startMessage(runDir, config), (m, send) => {
      if (m.type === 'metrics' && m.step === 2) send({ type: 'pause' });
    });
    const paused = first.at(-1);
    expect(paused).toMatchObject({ type: 'ended', reason: 'paused' });
    const step = paused?.type === 'ended' ? paused.step : -1;
    expect(step).toBeGreaterThanOrEqual(2);
    const checkpoint = first.find((m) => m.type === 'checkpoint');
    expect(checkpoint).toMatchObject({ step });

    const file = path.join(runDir, (checkpoint as { file: string }).file);
    const second = await runWorker(startMessage(runDir, config, file), (m, send) => {
      if (m.type === 'metrics' && 'dLoss' in m.values) send({ type: 'stop' });
    });
    const metrics = second.filter(isLossPoint);
    expect(metrics[0]?.step).toBe(step + 1);
    // No step-0 sample on resume; the stop writes the grid of the step it stopped at.
    const stoppedAt = (second.at(-1) as { step: number }).step;
    expect(second.filter((m) => m.type === 'sample').map((m) => m.step)).toEqual([stoppedAt]);
    expect(second.at(-1)).toMatchObject({ type: 'ended', reason: 'stopped' });
  });
});

describe('feedback within seconds', () => {
  it('takes the first sample grid within 15 s of the first step, with no step count set', async () => {
    const runDir = path.join(dir, 'run-early-sample');
    let firstStepAt = 0;
    let firstSample: { step: number; at: number } | null = null;
    const messages = await runWorker(
      startMessage(runDir, { steps: 1_000_000, metricsEvery: 100_000, sampleEvery: 0 }),
      (m, send) => {
        if (m.type === 'metrics' && firstStepAt === 0) firstStepAt = Date.now();
        if (m.type === 'sample' && m.step > 0 && firstSample === null) {
          firstSample = { step: m.step, at: Date.now() };
          send({ type: 'stop' });
        }
      },
    );
    // Metrics come by time too: the first point arrives although no step count was reached.
    expect(firstStepAt).toBeGreaterThan(0);
    expect(firstSample).not.toBeNull();
    const { at } = firstSample as unknown as { step: number; at: number };
    expect(at - firstStepAt).toBeLessThan(15_000);
    expect(messages.at(-1)).toMatchObject({ type: 'ended', reason: 'stopped' });
  }, 60_000);
});

describe('training session', () => {
  it('ends as diverged on a NaN loss, says what to do, and writes no checkpoint', async () => {
    const runDir = path.join(dir, 'run-c');
    let steps = 0;
    const deps: SessionDeps = {
      selectBackend: async () => ({ backend: 'cpu', notes: [] }),
      loadImages: async () => ({ pixels: new Uint8Array(0), count: 0, height: 32, width: 32 }),
      createTrainer: () => ({
        get completedSteps() {
          return steps;
        },
        async step(): Promise<StepMetrics> {
          steps++;
          const loss = steps >= 3 ? NaN : 1;
          return { step: steps, dLoss: loss, gLoss: 1, dReal: 0.5, dFake: 0.5, dFakeAfter: 0.5 };
        },
        sampleGrid: async () => ({ image: { width: 1, height: 1, rgb: new Uint8Array(3) }, diversity: 1 }),
        qualitySwd: async () => 100,
        exportCheckpoint: () => {
          throw new Error('must not checkpoint a diverged state');
        },
        dispose: () => {},
      }),
    };
    const messages: FromWorker[] = [];
    let listener: ((m: ToWorker) => void) | undefined;
    const session = new TrainingSession(
      { postMessage: (m) => messages.push(m), on: (_e, l) => (listener = l) },
      deps,
    );
    listener?.(startMessage(runDir, { steps: 10 }));
    await session.done;
    const ended = messages.at(-1);
    expect(ended).toMatchObject({ type: 'ended', reason: 'diverged', step: 3 });
    expect((ended as { error?: string }).error).toMatch(/learning rate/);
    expect(messages.some((m) => m.type === 'checkpoint')).toBe(false);
  });
});

/**
 * A stand-in trainer: `lossAt(step)` gives each step's D loss; nothing touches tfjs. With
 * `stepMs` a step takes that long of the caller's time before it returns, as wasm's steps do.
 */
function fakeTrainer(lossAt: (step: number) => number, opts: { failStep?: number; stepMs?: number } = {}) {
  let steps = 0;
  return {
    get completedSteps() {
      return steps;
    },
    async step(): Promise<StepMetrics> {
      const until = performance.now() + (opts.stepMs ?? 0);
      while (performance.now() < until) {
        // Busy: the work of a step on a CPU backend happens inside the call.
      }
      steps++;
      const step = steps;
      if (opts.failStep === step) throw new Error('OffscreenCanvas is not defined');
      return { step, dLoss: lossAt(step), gLoss: 1, dReal: 0.5, dFake: 0.5, dFakeAfter: 0.5 };
    },
    sampleGrid: async () => ({ image: { width: 1, height: 1, rgb: new Uint8Array(3) }, diversity: 1 }),
    qualitySwd: async () => 100,
    exportCheckpoint: async (): Promise<Checkpoint> => ({
      meta: {
        format: 1 as const,
        step: steps,
        config: trainConfigSchema.parse({}),
        datasetSize: 1,
        rng: { noise: [1, 2, 3, 4], augment: [1, 2, 3, 4], flip: [1, 2, 3, 4] },
        data: { count: 1, epoch: 0, position: 0, epochRng: [1, 2, 3, 4] },
        optimizers: { g: steps, d: steps },
        emaUpdates: steps,
      },
      tensors: {},
    }),
    dispose: () => {},
  };
}

async function runSession(deps: SessionDeps, start: StartMessage): Promise<FromWorker[]> {
  const messages: FromWorker[] = [];
  let listener: ((m: ToWorker) => void) | undefined;
  const session = new TrainingSession(
    { postMessage: (m) => messages.push(m), on: (_e, l) => (listener = l) },
    deps,
  );
  listener?.(start);
  await session.done;
  return messages;
}

const noImages = async () => ({ pixels: new Uint8Array(0), count: 0, height: 32, width: 32 });

describe('training speed', () => {
  it('is measured between the moments steps end: no impossible images/s, however metrics are read', async () => {
    const stepMs = 20;
    const batchSize = 4;
    const messages = await runSession(
      {
        selectBackend: async () => ({ backend: 'cpu', notes: [] }),
        loadImages: noImages,
        createTrainer: () => fakeTrainer(() => 1, { stepMs }),
      },
      {
        type: 'start',
        runId: 'speed',
        runDir: path.join(dir, 'run-speed'),
        cacheFile: 'unused',
        // A chart point every step, a grid every fifth: there the step just queued is read
        // right after the one before it, two metrics at one moment.
        config: trainConfigSchema.parse({
          steps: 40,
          batchSize,
          metricsEvery: 1,
          sampleEvery: 5,
          backend: 'cpu',
        }),
        backend: 'cpu',
        datasetSize: 8,
      },
    );
    const speeds = messages.flatMap((m) => (m.type === 'progress' ? [m.imagesPerSecond] : []));
    const stepTimes = messages.flatMap((m) =>
      m.type === 'metrics' && m.values['stepMs'] !== undefined ? [m.values['stepMs']] : [],
    );
    expect(speeds.length).toBeGreaterThan(5);
    // A step takes at least stepMs: at most batchSize / stepMs images a second, never more.
    const ceiling = (batchSize * 1000) / stepMs;
    expect(Math.max(...speeds)).toBeLessThanOrEqual(ceiling * 1.05);
    expect(Math.min(...stepTimes)).toBeGreaterThanOrEqual(stepMs * 0.95);
  });
});

describe('training session on a broken backend', () => {
  it('moves to the next backend when the chosen one fails in its first step, and says why', async () => {
    const runDir = path.join(dir, 'run-fallback');
    const asked: string[] = [];
    const deps: SessionDeps = {
      selectBackend: async (preference) => {
        asked.push(preference);
        return { backend: preference === 'auto' ? 'webgpu' : (preference as 'wasm'), notes: [] };
      },
      loadImages: noImages,
      createTrainer: () => fakeTrainer(() => 1, asked.length === 1 ? { failStep: 1 } : {}),
    };
    const messages = await runSession(deps, {
      ...startMessage(runDir, { steps: 4, metricsEvery: 1, sampleEvery: 100 }),
      backend: 'auto',
    });
    expect(asked).toEqual(['auto', 'wasm']);
    const backends = messages.filter((m) => m.type === 'backend');
    expect(backends.map((m) => m.backend)).toEqual(['webgpu', 'wasm']);
    const note = backends[1]?.notes.find((n) => n.name === 'webgpu');
    expect(note).toMatchObject({ available: false, runtime: true });
    expect(note?.reason).toMatch(/OffscreenCanvas is not defined/);
    // Only the backend that trained posted metrics and samples: steps 1..4 once each.
    expect(messages.filter(isLossPoint).map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(messages.filter((m) => m.type === 'sample').map((m) => m.step)).toEqual([0, 4]);
    expect(messages.at(-1)).toMatchObject({ type: 'ended', reason: 'finished', step: 4 });
  });

  it('falls back when the first step gives non-finite losses', async () => {
    const asked: string[] = [];
    const deps: SessionDeps = {
      selectBackend: async (preference) => {
        asked.push(preference);
        return { backend: preference === 'webgpu' ? 'webgpu' : 'wasm', notes: [] };
      },
      loadImages: noImages,
      createTrainer: () => fakeTrainer(asked.length === 1 ? () => NaN : () => 1),
    };
    const messages = await runSession(deps, {
      ...startMessage(path.join(dir, 'run-nan-first'), { steps: 3 }),
      backend: 'webgpu',
    });
    expect(asked).toEqual(['webgpu', 'wasm']);
    expect(messages.at(-1)).toMatchObject({ type: 'ended', reason: 'finished', step: 3 });
  });

  it('fails with the error once the backend has passed its first steps', async () => {
    const deps: SessionDeps = {
      selectBackend: async () => ({ backend: 'webgpu', notes: [] }),
      loadImages: noImages,
      createTrainer: () => fakeTrainer(() => 1, { failStep: 6 }),
    };
    const messages = await runSession(deps, {
      ...startMessage(path.join(dir, 'run-late-failure'), { steps: 10, metricsEvery: 1 }),
      backend: 'webgpu',
    });
    expect(messages.filter((m) => m.type === 'backend')).toHaveLength(1);
    expect(messages.at(-1)).toMatchObject({ type: 'ended', reason: 'failed' });
    expect((messages.at(-1) as { error?: string }).error).toMatch(/OffscreenCanvas/);
  });

  it('treats an absurdly large loss as divergence', async () => {
    const deps: SessionDeps = {
      selectBackend: async () => ({ backend: 'cpu', notes: [] }),
      loadImages: noImages,
      createTrainer: () => fakeTrainer((step) => (step >= 4 ? 4e14 : 1)),
    };
    const messages = await runSession(deps, startMessage(path.join(dir, 'run-absurd'), { steps: 10 }));
    expect(messages.at(-1)).toMatchObject({ type: 'ended', reason: 'diverged', step: 4 });
  });

  it('pauses, not fails, when the disk is full, keeping the last checkpoint', async () => {
    const runDir = path.join(dir, 'run-full');
    const deps: SessionDeps = {
      selectBackend: async () => ({ backend: 'cpu', notes: [] }),
      loadImages: noImages,
      createTrainer: () => fakeTrainer(() => 1),
    };
    const realOpen = fs.promises.open;
    // ENOSPC on the temp file of the first write (the step-0 sample).
    fs.promises.open = (async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
        syscall: 'write',
      });
    }) as typeof fs.promises.open;
    try {
      const messages = await runSession(deps, startMessage(runDir, { steps: 5 }));
      expect(messages.at(-1)).toMatchObject({ type: 'ended', reason: 'paused' });
      expect((messages.at(-1) as { error?: string }).error).toMatch(/disk is full/);
    } finally {
      fs.promises.open = realOpen;
    }
  });
});

describe('training session health', () => {
  it('posts the quality curve, grid diversity, a warning when the grid collapses and when it recovers', async () => {
    let diversity = 0.9;
    const trainer = fakeTrainer(() => 1);
    const deps: SessionDeps = {
      selectBackend: async () => ({ backend: 'cpu', notes: [] }),
      loadImages: noImages,
      createTrainer: () => ({
        ...trainer,
        get completedSteps() {
          return trainer.completedSteps;
        },
        step: () => trainer.step(),
        sampleGrid: async () => {
          if (trainer.completedSteps >= 500) diversity = trainer.completedSteps >= 800 ? 0.7 : 0.1;
          return { image: { width: 1, height: 1, rgb: new Uint8Array(3) }, diversity };
        },
      }),
    };
    const messages = await runSession(deps, {
      ...startMessage(path.join(dir, 'run-collapse'), { steps: 1000, sampleEvery: 100, metricsEvery: 50 }),
      datasetSize: 20,
    });
    const warnings = messages.filter((m) => m.type === 'warning').map((m) => m.warning);
    expect(warnings.map((w) => [w.code, w.step, w.cleared ?? false])).toEqual([
      ['small-dataset', 0, false],
      ['mode-collapse', 600, false],
      ['mode-collapse', 800, true],
    ]);
    const named = (name: string) =>
      messages
        .filter((m) => m.type === 'metrics' && name in m.values)
        .map((m) => (m.type === 'metrics' ? m.step : -1));
    expect(named('diversity')).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    // The quality curve's point when the run ends (the first would come after 30 s).
    expect(named('swd')).toEqual([1000]);
  });
});
