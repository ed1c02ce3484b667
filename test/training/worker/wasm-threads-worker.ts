import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { parentPort, workerData } from 'node:worker_threads';
import { trainConfigSchema } from '../../../shared/config.js';
import { selectBackend, type BackendSelection } from '../../../main/training/worker/backends.js';
import { GanTrainer, trainSteps } from '../../../main/training/engine/trainer.js';
import { randomValues } from '../helpers.js';

/**
 * Worker side of wasm-threads.test.ts: selects wasm with `threads` in a thread of its own (the
 * threaded build starts thread workers and replaces the 'wasm' registration, which must not
 * happen in the test runner's tfjs), then posts what the backend reports, one conv2d on wasm
 * and on cpu, and the losses of a few training steps.
 */

export interface ThreadsProbe {
  selection: BackendSelection;
  /** What the module itself says: XNNPACK's pool size and Emscripten's pthread workers. */
  moduleThreads: number;
  runningWorkers: number | null;
  unusedWorkers: number | null;
  trainingKernels: boolean;
  conv: { wasm: Float32Array; cpu: Float32Array };
  losses: { dLoss: number; gLoss: number }[];
}

interface WasmModuleView {
  tfjs: { getThreadsCount(): number };
  PThread?: { runningWorkers: unknown[]; unusedWorkers: unknown[] };
}

const { threads, tmpdir } = workerData as { threads: number; tmpdir?: string };

function conv2d(): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomValues(2 * 17 * 17 * 8, 11), [2, 17, 17, 8]);
    const filter = tf.tensor4d(randomValues(4 * 4 * 8 * 16, 12), [4, 4, 8, 16]);
    return tf.conv2d(x, filter, 2, 'same').dataSync() as Float32Array;
  });
}

// Set here, not through the Worker's env, so that tsx has compiled everything by then (it caches
// under the temp folder too). This thread's process.env is its own copy.
if (tmpdir !== undefined) process.env['TMPDIR'] = tmpdir;
const selection = await selectBackend('wasm', { threads });
const wasmModule = (tf.backend() as unknown as { wasm: WasmModuleView }).wasm;
const wasmConv = conv2d();
await tf.setBackend('cpu');
const cpuConv = conv2d();
await tf.setBackend('wasm');

const count = 8;
const pixels = new Uint8Array(count * 32 * 32 * 3).map((_, i) => (i * 37 + (i >> 5)) % 256);
const config = trainConfigSchema.parse({
  resolution: 32,
  width: 0.25,
  latentSize: 16,
  batchSize: 8,
  seed: 3,
  diffAugment: 'on',
});
const trainer = GanTrainer.create(config, { pixels, count, height: 32, width: 32 }, count);
const losses = (await trainSteps(trainer, 3)).map((m) => ({ dLoss: m.dLoss, gLoss: m.gLoss }));
trainer.dispose();

const probe: ThreadsProbe = {
  selection,
  moduleThreads: wasmModule.tfjs.getThreadsCount(),
  runningWorkers: wasmModule.PThread?.runningWorkers.length ?? null,
  unusedWorkers: wasmModule.PThread?.unusedWorkers.length ?? null,
  trainingKernels: tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined,
  conv: { wasm: wasmConv, cpu: cpuConv },
  losses,
};
parentPort?.postMessage(probe);
