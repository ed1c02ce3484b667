// Experiment 7: the Emscripten glue always pre-spawns 8 pthread workers (PTHREAD_POOL_SIZE is
// baked in as 8), whatever setThreadsCount says. After init, pthreadpool holds the threads it
// needs (running); the rest (unused) can be terminated. Measures the RSS that frees.
//   node --expose-gc bench/threads/07-pool-trim.mjs
import * as tf from '@tensorflow/tfjs-core';
import { useThreadedWasm } from './threaded-wasm.mjs';
await useThreadedWasm(2, 4);
const m = tf.backend().wasm;
const P = m.PThread;
console.log('PThread exposed', !!P, 'unused', P?.unusedWorkers.length, 'running', P?.runningWorkers.length);
const a = tf.randomNormal([512, 512]);
tf.matMul(a, a).dataSync();
const rss0 = process.memoryUsage().rss / 2 ** 20;
await Promise.all(P.unusedWorkers.splice(0).map((w) => w.terminate()));
await new Promise((r) => setTimeout(r, 300));
globalThis.gc?.();
const rss1 = process.memoryUsage().rss / 2 ** 20;
const t0 = performance.now();
tf.matMul(a, a).dataSync();
console.log(
  'rss MiB with pool',
  rss0.toFixed(0),
  'after terminating unused',
  rss1.toFixed(0),
  'matMul still works',
  (performance.now() - t0).toFixed(1),
  'ms',
  'threads',
  tf.backend().wasm.tfjs.getThreadsCount(),
);
process.exit(0);
