import { expect, test } from '@playwright/test';
import type { TrainConfigInput } from '../shared/config.js';
import { EngineLabDriver, limitShapes, maxLossError } from './engine/lab-driver.js';
import { maxRelativeError } from '../test/common/synthetic.js';

/**
 * The training engine on WebGPU, in Chromium on SwiftShader's adapter (WebGPU on the CPU: no
 * GPU here, and Dawn's Node package finds no adapter on these machines). Synchronous reads throw
 * in the page, as they do under Dawn in Node.
 */

let lab: EngineLabDriver;

test.describe.configure({ mode: 'serial', timeout: 600_000 });

test.beforeAll(async () => {
  lab = await EngineLabDriver.open();
});

test.afterAll(async () => {
  await lab?.close();
});

test('Chromium offers a WebGPU adapter', async () => {
  expect(await lab.adapter()).not.toBe('none');
});

test('every WebGPU training kernel matches the cpu backend on a table of shapes', async () => {
  const checks = await lab.kernels();
  expect(checks.length).toBeGreaterThan(30);
  for (const c of checks) expect(c.maxRelError, `${c.kernel} ${c.shape}`).toBeLessThan(1e-4);
});

for (const [name, extra] of [
  ['bce with DiffAugment, flips and EMA', { loss: 'bce', diffAugment: 'on', flip: true, emaDecay: 0.9 }],
  ['hinge, plain', { loss: 'hinge', diffAugment: 'off' }],
  [
    'FastGAN-lite (skip-layer excitation, spectral norm) with hinge, DiffAugment and EMA',
    { model: 'fastgan', loss: 'hinge', diffAugment: 'on', emaDecay: 0.9 },
  ],
] as const) {
  test(`training on webgpu follows cpu step by step: ${name}`, async () => {
    const config: TrainConfigInput = {
      resolution: 32,
      width: 0.125,
      batchSize: 8,
      latentSize: 16,
      seed: 5,
      ...extra,
    };
    const gpu = await lab.train('webgpu', config, 4);
    const cpu = await lab.train('cpu', config, 4);
    expect(gpu.metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(maxLossError(gpu, cpu)).toBeLessThan(1e-3);
    const imageError = Math.max(...gpu.generated.map((v, i) => Math.abs(v - (cpu.generated[i] ?? NaN))));
    expect(imageError).toBeLessThan(1e-3);
    expect(gpu.tensorLeak).toBe(0);
  });
}

for (const model of ['dcgan', 'fastgan'] as const) {
  test(`the latent explorer's ${model} generator on webgpu matches cpu: a slerp path and its batch-norm statistics`, async () => {
    const config: TrainConfigInput = {
      model,
      resolution: 32,
      width: 0.125,
      batchSize: 8,
      latentSize: 16,
      seed: 3,
    };
    const gpu = await lab.explore('webgpu', config);
    const cpu = await lab.explore('cpu', config);
    expect(gpu.frames).toBe(7);
    expect(gpu.path).toHaveLength(7 * 32 * 32 * 3);
    expect(maxRelativeError(gpu.path, cpu.path)).toBeLessThan(1e-3);
    expect(maxRelativeError(gpu.statistics, cpu.statistics)).toBeLessThan(1e-3);
  });
}

test('one FastGAN-lite step at 256 px runs on webgpu', async () => {
  const metrics = await lab.step('webgpu', { model: 'fastgan', resolution: 256, batchSize: 4, width: 0.125 });
  expect(metrics.step).toBe(1);
  for (const value of Object.values(metrics)) expect(Number.isFinite(value)).toBe(true);
});

for (const { res, batch } of limitShapes) {
  test(`one step at ${res} px, batch ${batch} runs on webgpu`, async () => {
    // The narrowest width: WebGPU's dispatch limits depend on batch and resolution, and SwiftShader
    // computes every channel on the CPU.
    const metrics = await lab.step('webgpu', { resolution: res, batchSize: batch, width: 0.125 });
    expect(metrics.step).toBe(1);
    for (const value of Object.values(metrics)) expect(Number.isFinite(value)).toBe(true);
  });
}
