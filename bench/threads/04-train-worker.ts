/**
 * Worker side of 04-train.ts: one DCGAN-32 training configuration in a worker thread, the way a
 * run trains in GAN Studio. Posts {imagesPerS, losses, threads, workerRssMB}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trainConfigSchema } from '../../shared/config.js';
import { selectBackend } from '../../main/training/worker/backends.js';
import { registerWasmTrainingKernels } from '../../main/training/kernels/wasm/index.js';
import { GanTrainer, trainSteps } from '../../main/training/engine/trainer.js';
import { noiseImages } from '../../main/training/engine/data.js';
// @ts-expect-error plain JS helper of this experiment, untyped
import { useThreadedWasm } from './threaded-wasm.mjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';

const { kind, warmup, steps, resolution, batch } = workerData as {
  kind: 'stock' | 't1' | 't2';
  warmup: number;
  steps: number;
  resolution: 32 | 64;
  batch: number;
};

if (kind === 'stock') {
  await selectBackend('wasm');
} else {
  // t2: tell backend.cc there are 4 logical cores, else its /2 cap leaves 1 thread on 2 CPUs.
  await (useThreadedWasm as (n: number, cores?: number) => Promise<number>)(
    kind === 't1' ? 1 : 2,
    kind === 't1' ? undefined : 4,
  );
  registerWasmTrainingKernels();
}
const threads = wasm.getThreadsCount();

const config = trainConfigSchema.parse({
  resolution,
  batchSize: batch,
  width: 1,
  latentSize: 100,
  loss: 'bce',
  diffAugment: 'off',
  emaDecay: 0,
});
const trainer = GanTrainer.create(config, noiseImages(256, resolution), 256);
await trainSteps(trainer, warmup);
parentPort!.postMessage({ type: 'timing-starts' });
const start = performance.now();
const last = (await trainSteps(trainer, steps)).at(-1)!;
const seconds = (performance.now() - start) / 1000;
parentPort!.postMessage({
  type: 'result',
  kind,
  threads,
  imagesPerS: (batch * steps) / seconds,
  losses: { step: last.step, dLoss: last.dLoss, gLoss: last.gLoss },
  processRssMB: process.memoryUsage().rss / 2 ** 20,
});
trainer.dispose();
