// Experiment 2: does the threaded-SIMD build load and compute correctly in Node 20 by the
// file-path route of threaded-wasm.mjs? Checks conv2d and matMul against tfjs-backend-cpu.
//   node bench/threads/02-threaded-load.mjs [threads=2] [logicalCores]  (logicalCores: see threaded-wasm.mjs)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { useThreadedWasm } from './threaded-wasm.mjs';

const threads = Number(process.argv[2] ?? 2);
const t = setTimeout(() => {
  console.log('init still pending after 20 s');
  process.exit(2);
}, 20_000);
const cores = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const got = await useThreadedWasm(threads, cores);
clearTimeout(t);
console.log(
  'backend',
  tf.getBackend(),
  'asked',
  threads,
  'logicalCores override',
  cores,
  'getThreadsCount()',
  got,
);

tf.setBackend('cpu');
const x = tf.randomNormal([8, 16, 16, 32], 0, 1, 'float32', 1);
const w = tf.randomNormal([4, 4, 32, 64], 0, 0.1, 'float32', 2);
const a = tf.randomNormal([512, 512], 0, 1, 'float32', 3);
const xs = await x.data(),
  ws = await w.data(),
  as = await a.data();
const refConv = await tf.conv2d(x, w, 1, 'same').data();
const refMm = await tf.matMul(a, a).data();

await tf.setBackend('wasm');
const X = tf.tensor(xs, x.shape),
  W = tf.tensor(ws, w.shape),
  A = tf.tensor(as, a.shape);
const conv = await tf.conv2d(X, W, 1, 'same').data();
const mm = await tf.matMul(A, A).data();
const maxDiff = (p, q) => p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i])), 0);
console.log('conv2d max |wasm-threaded - cpu| =', maxDiff(conv, refConv).toExponential(2));
console.log('matMul max |wasm-threaded - cpu| =', maxDiff(mm, refMm).toExponential(2));
const { threadId } = await import('node:worker_threads');
console.log('main threadId', threadId, 'rss MiB', (process.memoryUsage().rss / 2 ** 20).toFixed(0));
process.exit(0);
