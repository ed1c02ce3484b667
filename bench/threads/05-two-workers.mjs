// Experiment 5: the "other way" to use two cores. Several worker threads, each with its own
// stock single-threaded SIMD wasm backend (exactly what GAN Studio runs today), doing conv2d
// at the same time. Modes:
//   one-64   1 worker, batch 64                      (today's single run)
//   two-32   2 workers, batch 32 each, concurrently  (data parallel: half the batch each)
//   two-64   2 workers, batch 64 each, concurrently  (two independent runs)
// Reports the wall time per op (all workers finished) and the aggregate images/s.
//   node bench/threads/05-two-workers.mjs [reps=6] [rounds=2] [modes=one-64,two-32,two-64]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import os from 'node:os';

if (!isMainThread) {
  const tf = await import('@tensorflow/tfjs-core');
  const { useStockWasm } = await import('./threaded-wasm.mjs');
  await useStockWasm();
  const { batch, reps, shared } = workerData;
  const x = tf.randomNormal([batch, 16, 16, 128]);
  const f = tf.randomNormal([4, 4, 128, 128], 0, 0.05);
  const op = () => tf.conv2d(x, f, 1, 'same');
  op().dataSync();
  // start together: a counter in shared memory works as a barrier
  const flag = new Int32Array(shared);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
  while (Atomics.load(flag, 1) === 0) Atomics.wait(flag, 1, 0, 50);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const y = op();
    y.dataSync();
    y.dispose();
  }
  parentPort.postMessage({
    ms: (performance.now() - t0) / reps,
    end: performance.timeOrigin + performance.now(),
  });
} else {
  const reps = Number(process.argv[2] ?? 6);
  const rounds = Number(process.argv[3] ?? 2);
  const allModes = { 'one-64': [64], 'two-32': [32, 32], 'two-64': [64, 64], 'one-32': [32] };
  const modeNames = (process.argv[4] ?? 'one-64,two-32,two-64').split(',');
  const modes = Object.fromEntries(modeNames.map((m) => [m, allModes[m]]));
  const out = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  async function runMode(batches) {
    const shared = new SharedArrayBuffer(8);
    const flag = new Int32Array(shared);
    const workers = batches.map(
      (batch) => new Worker(new URL(import.meta.url), { workerData: { batch, reps, shared } }),
    );
    const done = workers.map(
      (w) =>
        new Promise((res, rej) => {
          w.once('message', res);
          w.once('error', rej);
        }),
    );
    while (Atomics.load(flag, 0) < batches.length) await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.timeOrigin + performance.now();
    Atomics.store(flag, 1, 1);
    Atomics.notify(flag, 1);
    const results = await Promise.all(done);
    await Promise.all(workers.map((w) => w.terminate()));
    const wallPerOp = (Math.max(...results.map((r) => r.end)) - t0) / reps;
    const images = batches.reduce((s, b) => s + b, 0);
    return { wallPerOp, imagesPerS: (images * 1000) / wallPerOp, perWorkerMs: results.map((r) => r.ms) };
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, batches] of Object.entries(modes)) {
      const res = await runMode(batches);
      out[name].push(res);
      console.error(`round ${r + 1} ${name}: ${JSON.stringify(res)}  load ${os.loadavg()[0].toFixed(2)}`);
    }
  }
  const med = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const base = med(out['one-64'].map((o) => o.imagesPerS));
  console.log('mode     wall ms/op  images/s  vs one-64   (conv2d Bx16x16x128, 4x4, 128->128, stride 1)');
  for (const name of Object.keys(modes)) {
    const ips = med(out[name].map((o) => o.imagesPerS));
    console.log(
      name.padEnd(8),
      med(out[name].map((o) => o.wallPerOp))
        .toFixed(1)
        .padStart(10),
      ips.toFixed(1).padStart(9),
      (ips / base).toFixed(2).padStart(9),
    );
  }
}
