import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { trainConfigSchema, type TrainConfig, type TrainConfigInput } from '../../../shared/config.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../../main/training/checkpoint-file.js';
import { buildDiscriminator, buildGenerator, countParams } from '../../../main/training/engine/models.js';
import { Generator } from '../../../main/training/engine/generator.js';
import {
  GanTrainer,
  metricsFinite,
  trainSteps,
  type StepMetrics,
} from '../../../main/training/engine/trainer.js';
import type { TrainingImages } from '../../../main/training/engine/data.js';
import { onBackend, useCpu, useWasm } from '../helpers.js';
import { noiseImages } from '../../../main/training/engine/data.js';

function config(overrides: TrainConfigInput): TrainConfig {
  return trainConfigSchema.parse({
    resolution: 32,
    width: 0.25,
    batchSize: 4,
    latentSize: 16,
    seed: 7,
    ...overrides,
  });
}

function solidImages(count: number, rgb: [number, number, number], size = 32): TrainingImages {
  const pixels = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rgb[i % 3] ?? 0;
  return { pixels, count, height: size, width: size };
}

function run(trainer: GanTrainer, steps: number): Promise<StepMetrics[]> {
  return trainSteps(trainer, steps);
}

describe('models', () => {
  it('DCGAN-32 (width 1, latent 100) has exactly the reference parameter counts', () => {
    const shape = { family: 'dcgan', resolution: 32, width: 1, latentSize: 100 } as const;
    expect(countParams(buildGenerator(shape))).toBe(1_073_027);
    expect(countParams(buildDiscriminator(shape))).toBe(663_361);
  });

  it('64 and 128 px add one block each', () => {
    const g = (resolution: 32 | 64 | 128) =>
      countParams(buildGenerator({ family: 'dcgan', resolution, width: 1, latentSize: 100 }));
    const d = (resolution: 32 | 64 | 128) =>
      countParams(buildDiscriminator({ family: 'dcgan', resolution, width: 1, latentSize: 100 }));
    expect(g(64)).toBeGreaterThan(g(32));
    expect(g(128)).toBeGreaterThan(g(64));
    expect(d(64)).toBeGreaterThan(d(32));
    expect(d(128)).toBeGreaterThan(d(64));
  });
});

describe('GanTrainer', () => {
  it('leaks no tensors across steps (wasm, with DiffAugment and flips)', async () => {
    await useWasm();
    const trainer = GanTrainer.create(config({ diffAugment: 'on', flip: true }), noiseImages(10, 32), 10);
    await run(trainer, 2);
    await trainer.sampleGrid();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 4; i++) {
      const m = await trainer.step();
      expect(metricsFinite(m)).toBe(true);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.memory().numBytes).toBe(bytes);
    }
    await trainer.sampleGrid();
    expect(tf.memory().numTensors).toBe(tensors);
    trainer.dispose();
  });

  it('gives the same losses on wasm and cpu from the same seed', async () => {
    const steps = async (c: TrainConfig) => {
      const trainer = GanTrainer.create(c, noiseImages(12, 32), 12);
      const out = await run(trainer, 3);
      trainer.dispose();
      return out;
    };
    for (const loss of ['bce', 'minimax', 'hinge'] as const) {
      // Narrow: the cpu backend is slow.
      const c = config({ diffAugment: 'on', loss, width: 0.125 });
      const cpu = await onBackend('cpu', () => steps(c));
      const wasm = await onBackend('wasm', () => steps(c));
      cpu.forEach((m, i) => {
        const w = wasm[i] as StepMetrics;
        for (const key of ['dLoss', 'gLoss', 'dReal', 'dFake', 'dFakeAfter'] as const) {
          expect(
            Math.abs(w[key] - m[key]),
            `${loss} step ${i + 1} ${key}: wasm ${w[key]} cpu ${m[key]}`,
          ).toBeLessThan(1e-3 * Math.max(1, Math.abs(m[key])));
        }
      });
    }
  });

  it('resumes from a checkpoint exactly (wasm)', async () => {
    await useWasm();
    const c = config({ diffAugment: 'on', flip: true, emaDecay: 0.9 });
    const data = noiseImages(6, 32); // batches cross epoch boundaries
    const straight = GanTrainer.create(c, data, 6);
    const expected = await run(straight, 5);
    const final = await straight.exportCheckpoint();
    straight.dispose();

    const first = GanTrainer.create(c, data, 6);
    await run(first, 3);
    const bytes = encodeCheckpoint(await first.exportCheckpoint());
    first.dispose();
    const resumed = GanTrainer.fromCheckpoint(c, data, 6, decodeCheckpoint(bytes));
    expect(resumed.completedSteps).toBe(3);
    const after = await run(resumed, 2);
    const got = await resumed.exportCheckpoint();
    resumed.dispose();

    expect(after).toEqual(expected.slice(3));
    expect(got.meta).toEqual(final.meta);
    expect(Object.keys(got.tensors).sort()).toEqual(Object.keys(final.tensors).sort());
    for (const [name, t] of Object.entries(final.tensors)) {
      expect(got.tensors[name]?.data, name).toEqual(t.data);
    }
  });

  it('generates from a checkpoint; an image depends only on its own latent', async () => {
    await useWasm();
    const c = config({ emaDecay: 0.9 });
    const trainer = GanTrainer.create(c, noiseImages(8, 32), 8);
    await run(trainer, 2);
    const latents = new Float32Array(3 * c.latentSize).map((_, i) => Math.cos(i));
    const fromTrainer = await trainer.generate(latents, 3);
    const { image: grid, diversity } = await trainer.sampleGrid();
    const generator = Generator.fromCheckpoint(
      decodeCheckpoint(encodeCheckpoint(await trainer.exportCheckpoint())),
    );
    trainer.dispose();
    expect(await generator.generate(latents, 3)).toEqual(fromTrainer);
    const alone = await generator.generate(latents.subarray(c.latentSize, 2 * c.latentSize), 1);
    const size = 32 * 32 * 3;
    const second = fromTrainer.subarray(size, 2 * size);
    const diff = alone.reduce((m, v, i) => Math.max(m, Math.abs(v - (second[i] ?? 0))), 0);
    expect(diff).toBeLessThan(1e-5);
    generator.dispose();
    // 16 tiles of 32 px in a 4×4 grid with 2 px gaps.
    expect([grid.width, grid.height, grid.rgb.length]).toEqual([138, 138, 138 * 138 * 3]);
    expect(diversity).toBeGreaterThan(0);
  });

  it('FastGAN-lite: leaks nothing, matches cpu on wasm and resumes from a checkpoint exactly', async () => {
    const c = config({ model: 'fastgan', loss: 'hinge', diffAugment: 'on', emaDecay: 0.9, width: 0.125 });
    const data = noiseImages(6, 32);
    const cpu = await onBackend('cpu', async () => {
      const t = GanTrainer.create(c, data, 6);
      const out = await run(t, 2);
      t.dispose();
      return out;
    });
    await useWasm();
    const straight = GanTrainer.create(c, data, 6);
    const expected = await run(straight, 5);
    const tensors = tf.memory().numTensors;
    await run(straight, 2);
    expect(tf.memory().numTensors).toBe(tensors);
    straight.dispose();
    expected.slice(0, 2).forEach((m, i) => {
      expect(Math.abs(m.dLoss - cpu[i]!.dLoss)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu[i]!.dLoss)));
      expect(Math.abs(m.gLoss - cpu[i]!.gLoss)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu[i]!.gLoss)));
    });

    const first = GanTrainer.create(c, data, 6);
    await run(first, 3);
    const checkpoint = decodeCheckpoint(encodeCheckpoint(await first.exportCheckpoint()));
    first.dispose();
    // Spectral norm's power-iteration state is part of the checkpoint: a resume goes on exactly.
    expect(Object.keys(checkpoint.tensors).some((name) => name.endsWith('/u'))).toBe(true);
    const resumed = GanTrainer.fromCheckpoint(c, data, 6, checkpoint);
    expect(await run(resumed, 2)).toEqual(expected.slice(3));
    resumed.dispose();
    expect(() => GanTrainer.fromCheckpoint(config({}), data, 6, checkpoint)).toThrow(/model/);
  });

  it('refuses a checkpoint of another model shape', async () => {
    await useCpu();
    const a = GanTrainer.create(config({}), noiseImages(4, 32), 4);
    const checkpoint = await a.exportCheckpoint();
    a.dispose();
    expect(() =>
      GanTrainer.fromCheckpoint(config({ latentSize: 32 }), noiseImages(4, 32), 4, checkpoint),
    ).toThrow(/latentSize/);
  });

  it('learns a solid colour: the mean generated colour moves toward it', async () => {
    await useWasm();
    const target: [number, number, number] = [230, 40, 40];
    const c = config({
      batchSize: 16,
      lrG: 1e-3,
      lrD: 1e-3,
      emaDecay: 0,
      diffAugment: 'off',
      sampleCount: 16,
    });
    const trainer = GanTrainer.create(c, solidImages(32, target), 32);
    const meanColour = async () => {
      const latents = new Float32Array(64 * c.latentSize).map((_, i) => Math.sin(i * 12.9898) * 1.3);
      const images = await trainer.generate(latents, 64);
      const sum = [0, 0, 0];
      for (let i = 0; i < images.length; i++) sum[i % 3]! += images[i] ?? 0;
      return sum.map((v) => (v / (images.length / 3) + 1) * 127.5);
    };
    const distance = (rgb: number[]) => Math.hypot(...rgb.map((v, i) => v - (target[i] ?? 0)));
    const before = distance(await meanColour());
    await run(trainer, 150);
    const after = distance(await meanColour());
    trainer.dispose();
    // Measured: 163 → 21 (RGB distance to the target colour).
    expect(after, `distance ${before.toFixed(1)} → ${after.toFixed(1)}`).toBeLessThan(before * 0.5);
  });
});
