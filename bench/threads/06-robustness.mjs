// Experiment 6: things a training host needs from the threaded route (threaded-wasm.mjs):
//  a) it works when initialised inside a worker thread (pthreads are then nested workers);
//  b) heap growth: the threaded build's memory is a growable SharedArrayBuffer; check that
//     tensors made before a large growth still read back right and ops still agree after it;
//  c) terminating the training worker takes its pthread workers with it (OS thread count);
//  d) without process.exit the process still ends by itself (pthread workers are unref'd).
//   node bench/threads/06-robustness.mjs
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import fs from 'node:fs';

const osThreads = () => fs.readdirSync('/proc/self/task').length;

if (!isMainThread) {
  const tf = await import('@tensorflow/tfjs-core');
  const { useThreadedWasm } = await import('./threaded-wasm.mjs');
  const threads = await useThreadedWasm(2, 4);
  const a = tf.randomNormal([512, 512], 0, 1, 'float32', 5);
  const before = await tf.matMul(a, a).data();
  const heapBefore = tf.backend().wasm.HEAPU8.buffer.byteLength;
  const big = tf.fill([96 * 2 ** 20], 1.5); // 384 MiB: forces the wasm memory to grow
  const tail = await tf.slice(big, [96 * 2 ** 20 - 4], [4]).data();
  const heapAfter = tf.backend().wasm.HEAPU8.buffer.byteLength;
  const again = await tf.matMul(a, a).data();
  const aBack = await a.data();
  let diff = 0;
  for (let i = 0; i < again.length; i++) diff = Math.max(diff, Math.abs(again[i] - before[i]));
  parentPort.postMessage({
    threads,
    heapMiB: [heapBefore / 2 ** 20, heapAfter / 2 ** 20],
    bigTensorReadsBack: tail.every((v) => v === 1.5),
    matMulSameAfterGrowth: diff === 0,
    oldTensorReadable: aBack.length === 512 * 512,
    osThreadsInWorker: osThreads(),
  });
  await new Promise(() => {}); // stay alive until terminated
} else {
  const start = osThreads();
  const w = new Worker(new URL(import.meta.url));
  const msg = await new Promise((res, rej) => {
    w.once('message', res);
    w.once('error', rej);
  });
  console.log('in worker:', JSON.stringify(msg));
  console.log('OS threads: before', start, 'while training worker alive', osThreads());
  await w.terminate();
  await new Promise((r) => setTimeout(r, 500));
  console.log('OS threads after terminate()', osThreads());
  const t0 = Date.now();
  process.on('exit', () => console.log(`process exits by itself ${Date.now() - t0} ms after terminate`));
}
