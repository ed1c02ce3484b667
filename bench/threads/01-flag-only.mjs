// Experiment 1: the "documented" route. Force WASM_HAS_MULTITHREAD_SUPPORT=true in Node, point
// setWasmPaths at the real dist/ folder (a file path prefix), ask for 2 threads, and see what
// tfjs-backend-wasm 4.22's own init() does. Nothing in node_modules is modified.
//   node bench/threads/01-flag-only.mjs
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as wasm from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/';

process.on('uncaughtException', (e) => {
  console.log('uncaughtException:', e?.code ?? '', e?.message ?? e);
  process.exit(1);
});

console.log('node', process.version, 'IS_NODE', tf.env().get('IS_NODE'));
console.log(
  'default WASM_HAS_MULTITHREAD_SUPPORT =',
  await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
);
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
wasm.setWasmPaths(dist);
wasm.setThreadsCount(2);
const t = setTimeout(() => {
  console.log('init still pending after 10 s');
  process.exit(2);
}, 10_000);
try {
  const ok = await tf.setBackend('wasm');
  await tf.ready();
  clearTimeout(t);
  console.log('setBackend ->', ok, 'backend', tf.getBackend(), 'threads', wasm.getThreadsCount());
  const a = tf.randomNormal([256, 256]);
  console.log('matMul sum', (await tf.matMul(a, a).sum().data())[0]);
  process.exit(0);
} catch (e) {
  clearTimeout(t);
  console.log('setBackend threw:', e?.code ?? '', e?.message ?? e);
  process.exit(1);
}
