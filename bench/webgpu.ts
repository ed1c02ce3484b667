/**
 * The training engine on WebGPU in Chromium (SwiftShader's adapter where there is no GPU):
 * correctness against cpu, the largest shapes the config schema allows, speed, and the kernel
 * profile of one step.
 *
 *   npx tsx bench/webgpu.ts [--steps N]
 *
 * Prints a table, then as its last line one JSON object
 * {"adapter", "max_rel_error_vs_cpu", "steps", "shapes": [{"res", "batch", "ok"}], "images_per_s"},
 * also written to bench/results/webgpu.json with the profile. On SwiftShader WebGPU runs on the
 * CPU, so images/s says nothing of a GPU: bench/gpu/ measures that on a machine with one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrainConfigInput } from '../shared/config.js';
import { EngineLabDriver, limitShapes, maxLossError } from '../e2e/engine/lab-driver.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const stepsArg = process.argv.indexOf('--steps');
const steps = stepsArg >= 0 ? Number(process.argv[stepsArg + 1]) : 5;

/** Small enough for SwiftShader: the same DCGAN-32 at a quarter of the width. */
const model: TrainConfigInput = {
  resolution: 32,
  width: 0.25,
  batchSize: 32,
  latentSize: 100,
  seed: 9,
  diffAugment: 'on',
  flip: true,
};

const lab = await EngineLabDriver.open();
try {
  const adapter = await lab.adapter();
  const gpu = await lab.train('webgpu', model, steps);
  const cpu = await lab.train('cpu', model, steps);
  const error = maxLossError(gpu, cpu);
  const imageError = Math.max(...gpu.generated.map((v, i) => Math.abs(v - (cpu.generated[i] ?? NaN))));
  const kernels = await lab.kernels();
  const kernelError = Math.max(...kernels.map((k) => k.maxRelError));
  const shapes: { res: number; batch: number; ok: boolean; seconds: number; error?: string }[] = [];
  for (const { res, batch } of limitShapes) {
    const started = performance.now();
    try {
      const m = await lab.step('webgpu', { resolution: res, batchSize: batch, width: 0.125 });
      const ok = [m.dLoss, m.gLoss, m.dReal, m.dFake, m.dFakeAfter].every(Number.isFinite);
      shapes.push({ res, batch, ok, seconds: (performance.now() - started) / 1000 });
    } catch (e) {
      const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
      shapes.push({ res, batch, ok: false, seconds: (performance.now() - started) / 1000, error: message });
    }
  }
  // Without DiffAugment, as the PyTorch comparison in bench/gpu runs.
  const profile = await lab.profile({ ...model, diffAugment: 'off' });

  const swiftshader = /swiftshader/i.test(adapter);
  console.log(`adapter: ${adapter}${swiftshader ? ' (WebGPU on the CPU: speed is not a GPU figure)' : ''}`);
  console.log(
    `model: DCGAN-32, width ${model.width}, batch ${model.batchSize}, DiffAugment on, ${steps} steps from seed ${model.seed}`,
  );
  console.table({
    'losses vs cpu, max relative error': error.toExponential(2),
    'generated pixels vs cpu, max abs error': imageError.toExponential(2),
    [`kernels vs cpu (${kernels.length} cases), max relative error`]: kernelError.toExponential(2),
    'webgpu images/s': gpu.imagesPerSecond.toFixed(1),
    'cpu images/s': cpu.imagesPerSecond.toFixed(1),
    'tensors leaked per step': gpu.tensorLeak,
  });
  console.table(
    shapes.map((s) => ({
      shape: `${s.res} px, batch ${s.batch}, width 0.125`,
      ok: s.ok,
      seconds: s.seconds.toFixed(1),
      ...(s.error ? { error: s.error } : {}),
    })),
  );
  console.log(`one step's kernels on webgpu, DiffAugment off: ${profile.kernelCalls} calls`);
  console.table(
    profile.kernels.map((k) => ({ kernel: k.name, calls: k.calls, ms: Number(k.ms.toFixed(2)) })),
  );
  const summary = {
    adapter,
    max_rel_error_vs_cpu: Math.max(error, kernelError),
    steps,
    shapes: shapes.map(({ res, batch, ok }) => ({ res, batch, ok })),
    images_per_s: gpu.imagesPerSecond,
  };
  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(here, 'results', 'webgpu.json'),
    `${JSON.stringify({ ...summary, model, cpu_images_per_s: cpu.imagesPerSecond, profile }, null, 2)}\n`,
  );
  console.log(JSON.stringify(summary));
  if (!(summary.max_rel_error_vs_cpu < 1e-3) || shapes.some((s) => !s.ok)) process.exitCode = 1;
} finally {
  await lab.close();
}
