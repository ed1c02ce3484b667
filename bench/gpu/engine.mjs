// The studio's training engine on one backend in Node, as the training worker runs it: images/s
// of a DCGAN (synthetic data, BCE, no DiffAugment, no EMA: the PyTorch reference has neither),
// or with --check the first steps' losses from a fixed seed. Plain JS against the built app
// (out/), so a GPU machine needs only Node, not the toolchain.
//
//   node bench/gpu/engine.mjs --backend webgpu --res 32 --batch 64 [--width 1] [--iters 30]
//                             [--check] [--profile] [--flag NAME=VALUE …]
//
// --flag sets a tfjs environment flag first (e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64), to try
// the backend's own knobs on a real GPU.
//
// Prints one line: RESULT {json}.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../out/main/training/worker/backends.js';
import { GanTrainer, trainSteps } from '../../out/main/training/engine/trainer.js';
import { profileKernels } from '../../out/main/training/engine/profile.js';
import { trainConfigSchema } from '../../out/shared/config.js';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const backend = arg('backend', 'webgpu');
const resolution = Number(arg('res', '32'));
const batch = Number(arg('batch', '64'));
const width = Number(arg('width', '1'));
const iters = Number(arg('iters', '30'));
const check = process.argv.includes('--check');

const flags = {};
process.argv.forEach((a, i) => {
  if (a !== '--flag') return;
  const [name, value] = (process.argv[i + 1] ?? '').split('=');
  flags[name] = value === 'true' ? true : value === 'false' ? false : Number(value);
});
const selection = await selectBackend(backend, { threads: 0 });
for (const [name, value] of Object.entries(flags)) {
  try {
    tf.env().set(name, value);
  } catch (error) {
    console.log(`RESULT ${JSON.stringify({ error: `${name}: ${error.message}` })}`);
    process.exit(1);
  }
}
if (selection.backend !== backend) {
  console.log(
    `RESULT ${JSON.stringify({ error: `${backend} did not start: ${selection.notes.map((n) => n.reason).join(' ')}` })}`,
  );
  process.exit(1);
}
const config = trainConfigSchema.parse({
  resolution,
  batchSize: batch,
  width,
  latentSize: 100,
  loss: 'bce',
  diffAugment: check ? 'on' : 'off',
  emaDecay: check ? 0.999 : 0,
  seed: 7,
});
const count = Math.max(256, batch);
const pixels = new Uint8Array(count * resolution * resolution * 3);
for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
const trainer = GanTrainer.create(config, { pixels, count, height: resolution, width: resolution }, count);
const out = { backend, resolution, batch, width, threads: selection.threads ?? null, flags };
try {
  if (check) {
    out.losses = (await trainSteps(trainer, 6)).map((m) => [
      m.dLoss,
      m.gLoss,
      m.dReal,
      m.dFake,
      m.dFakeAfter,
    ]);
  } else {
    await trainSteps(trainer, 3);
    const started = performance.now();
    const last = (await trainSteps(trainer, iters)).at(-1);
    const seconds = (performance.now() - started) / 1000;
    out.images_per_s = (batch * iters) / seconds;
    out.step_ms = (seconds * 1000) / iters;
    out.finite = [last.dLoss, last.gLoss].every(Number.isFinite);
    if (process.argv.includes('--profile')) {
      out.profile = await profileKernels(() => trainer.step());
    }
  }
} catch (error) {
  out.error = String(error?.message ?? error).split('\n')[0];
} finally {
  trainer.dispose();
}
console.log(`RESULT ${JSON.stringify(out)}`);
