// Experiment 3: speed of conv2d / matMul on the threaded-SIMD build at 1 vs 2 threads, against
// the stock single-threaded SIMD build GAN Studio uses today. Each configuration runs in its own
// child process (the pool size is fixed at init), configurations alternate for R rounds, and
// the median per-op time is reported.
//   node bench/threads/03-op-bench.mjs [rounds=3] [reps=5]
//   node bench/threads/03-op-bench.mjs --child stock|t1|t2 reps
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const ops = {
  // NHWC 64x16x16x128, 4x4 filters, 128 -> 128, stride 1 'same': 8.6 GFLOP
  'conv2d 64x16x16x128 k4 s1 ->128': { flop: 2 * 64 * 16 * 16 * 128 * 4 * 4 * 128 },
  // a DCGAN discriminator layer: 4x4, stride 2, 128 -> 256: 4.3 GFLOP
  'conv2d 64x16x16x128 k4 s2 ->256': { flop: 2 * 64 * 8 * 8 * 256 * 4 * 4 * 128 },
  'matMul 1024x1024': { flop: 2 * 1024 ** 3 },
};

async function child(kind, reps) {
  const tf = await import('@tensorflow/tfjs-core');
  const { useThreadedWasm, useStockWasm } = await import('./threaded-wasm.mjs');
  const threads =
    kind === 'stock'
      ? await useStockWasm()
      : kind === 't1'
        ? await useThreadedWasm(1)
        : await useThreadedWasm(2, 4); // 4 "logical cores" so backend.cc's /2 cap allows 2
  const x = tf.randomNormal([64, 16, 16, 128]);
  const f1 = tf.randomNormal([4, 4, 128, 128], 0, 0.05);
  const f2 = tf.randomNormal([4, 4, 128, 256], 0, 0.05);
  const a = tf.randomNormal([1024, 1024]);
  const fns = {
    'conv2d 64x16x16x128 k4 s1 ->128': () => tf.conv2d(x, f1, 1, 'same'),
    'conv2d 64x16x16x128 k4 s2 ->256': () => tf.conv2d(x, f2, 2, 'same'),
    'matMul 1024x1024': () => tf.matMul(a, a),
  };
  const out = { kind, threads };
  for (const [name, fn] of Object.entries(fns)) {
    for (let i = 0; i < 2; i++) fn().dataSync();
    const times = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const y = fn();
      y.dataSync();
      times.push(performance.now() - t0);
      y.dispose();
    }
    times.sort((p, q) => p - q);
    out[name] = times[Math.floor(times.length / 2)];
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], Number(process.argv[4]));
} else {
  const rounds = Number(process.argv[2] ?? 3);
  const reps = Number(process.argv[3] ?? 5);
  const me = fileURLToPath(import.meta.url);
  const kinds = ['stock', 't1', 't2'];
  const results = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const kind of kinds) {
      const line = execFileSync(process.execPath, [me, '--child', kind, String(reps)], { encoding: 'utf8' })
        .split('\n')
        .find((l) => l.startsWith('{'));
      results[kind].push(JSON.parse(line));
      console.error(`round ${r + 1} ${kind}: ${line}`);
    }
  }
  const med = (v) => {
    const s = [...v].sort((p, q) => p - q);
    return s[Math.floor(s.length / 2)];
  };
  console.log(
    `\nload average before/after: ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  console.log('op'.padEnd(34), 'stock ms', ' t1 ms', ' t2 ms', ' t1/t2', ' stock/t2', ' GFLOP/s stock t1 t2');
  for (const [name, { flop }] of Object.entries(ops)) {
    const s = med(results.stock.map((o) => o[name]));
    const one = med(results.t1.map((o) => o[name]));
    const two = med(results.t2.map((o) => o[name]));
    const g = (ms) => (flop / ms / 1e6).toFixed(1);
    console.log(
      name.padEnd(34),
      s.toFixed(1).padStart(8),
      one.toFixed(1).padStart(6),
      two.toFixed(1).padStart(6),
      (one / two).toFixed(2).padStart(6),
      (s / two).toFixed(2).padStart(9),
      `  ${g(s)} ${g(one)} ${g(two)}`,
    );
  }
  console.log('threads reported:', kinds.map((k) => `${k}=${results[k][0].threads}`).join(' '));
}
