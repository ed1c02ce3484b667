import { firstLineOf } from '../../../shared/errors.js';
import { encodeCheckpoint } from '../checkpoint-file.js';
import { noiseImages } from '../engine/data.js';
import { swdImageCount } from '../engine/quality.js';
import { GanTrainer, trainSteps } from '../engine/trainer.js';
import type { CalibrationRequest, FromCalibration, Measurement } from '../protocol.js';
import { selectBackend, type BackendOptions, type BackendSelection } from './backends.js';

/**
 * Times a few training steps of one model on the backend a run would get, on synthetic images,
 * so the Train form can say how long a run takes before it starts. Runs in its own worker thread
 * (calibration-worker.ts): the main thread never loads TensorFlow.js.
 */

/** Steps run before timing: the first ones compile kernels (wasm, WebGPU shaders) and are slow. */
export const warmupSteps = 2;
const minTimedSteps = 3;

export interface CalibrationDeps {
  selectBackend(
    preference: CalibrationRequest['backend'],
    options?: BackendOptions,
  ): Promise<BackendSelection>;
}

async function seconds<T>(work: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

export async function calibrate(
  request: CalibrationRequest,
  post: (message: FromCalibration) => void,
  deps: CalibrationDeps = { selectBackend },
): Promise<Measurement> {
  const started = performance.now();
  post({ type: 'progress', backend: null, done: 0, total: request.maxSteps });
  const selection = await deps.selectBackend(request.backend, { threads: request.threads });
  const { config } = request;
  // Enough for a batch and for the quality curve's subset; what they show does not change the time.
  const images = noiseImages(Math.max(config.batchSize, swdImageCount(config.resolution)), config.resolution);
  const trainer = GanTrainer.create(config, images, images.count);
  try {
    // The first steps compile kernels; wasm's and the GPU's caches keep warming a little longer.
    await trainSteps(trainer, warmupSteps);
    let warmed = warmupSteps;
    const warmStart = performance.now();
    while (performance.now() - warmStart < 500 && warmed < 50) {
      await trainSteps(trainer, 1);
      warmed++;
    }
    const warm = (performance.now() - started) / 1000;

    // Steady state, pipelined as the session runs it: the next step is queued before the last
    // one's metrics are awaited. The count adapts to the speed: at least minSeconds of steps.
    let total = request.maxSteps;
    let done = 0;
    const t0 = performance.now();
    let queued: Promise<unknown> | null = trainer.step();
    while (queued !== null) {
      const current: Promise<unknown> = queued;
      queued = done + 1 < total ? trainer.step() : null;
      await current;
      done++;
      const elapsed = (performance.now() - t0) / 1000;
      if (done === 1) {
        total = Math.min(request.maxSteps, Math.max(minTimedSteps, Math.ceil(request.minSeconds / elapsed)));
      }
      post({ type: 'progress', backend: selection.backend, done, total: Math.max(total, done) });
    }
    const secondsPerStep = (performance.now() - t0) / 1000 / done;

    const sampleSeconds = await seconds(() => trainer.sampleGrid());
    const swdSeconds = await seconds(() => trainer.qualitySwd());
    const checkpointSeconds = await seconds(async () => encodeCheckpoint(await trainer.exportCheckpoint()));
    return {
      backend: selection.backend,
      threads: selection.threads ?? null,
      notes: selection.notes,
      // The warm-up's time beyond what as many steady steps take: what a run loses at its start.
      startupSeconds: Math.max(0, warm - warmed * secondsPerStep),
      secondsPerStep,
      timedSteps: done,
      sampleSeconds,
      swdSeconds,
      checkpointSeconds,
    };
  } finally {
    trainer.dispose();
  }
}

/** Runs one calibration and posts its result or why it failed. */
export async function runCalibration(
  request: CalibrationRequest,
  post: (message: FromCalibration) => void,
  deps?: CalibrationDeps,
): Promise<void> {
  try {
    post({ type: 'result', measurement: await calibrate(request, post, deps) });
  } catch (error) {
    post({ type: 'failed', error: firstLineOf(error) });
  }
}
