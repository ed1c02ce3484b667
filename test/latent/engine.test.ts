import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { modelFamilies, trainConfigSchema, type ModelFamily } from '../../shared/config.js';
import { Generator } from '../../main/training/engine/generator.js';
import {
  lerp,
  pathFrames,
  pathLatents,
  seedLatent,
  seedLatents,
  slerp,
} from '../../main/training/engine/latent.js';
import { GanTrainer } from '../../main/training/engine/trainer.js';
import { noiseImages } from '../../main/training/engine/data.js';
import { buildLayersModel, weightsFileName } from '../../main/latent/worker/tfjs-export.js';
import { useCpu } from '../training/helpers.js';

const config = trainConfigSchema.parse({
  resolution: 32,
  width: 0.125,
  batchSize: 4,
  latentSize: 16,
  seed: 3,
  emaDecay: 0.9,
});

/** A generator a few steps into training, so its batch norms have statistics worth baking. */
async function trainedGenerator(model: ModelFamily = 'dcgan'): Promise<Generator> {
  await useCpu();
  const trainer = GanTrainer.create({ ...config, model }, noiseImages(8, 32, 99), 8);
  for (let i = 0; i < 3; i++) await trainer.step();
  const checkpoint = await trainer.exportCheckpoint();
  trainer.dispose();
  return Generator.fromCheckpoint(checkpoint, 'ema');
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return worst;
}

describe('latent paths', () => {
  it('gives a seed the same latent every time, and different seeds different latents', () => {
    expect(seedLatent(42, 16)).toEqual(seedLatent(42, 16));
    expect(seedLatent(42, 16)).not.toEqual(seedLatent(43, 16));
    expect(() => seedLatent(-1, 16)).toThrow(/whole number/);
  });

  it('starts and ends slerp and lerp exactly on the latents, and slerp keeps the norm', () => {
    const a = seedLatent(1, 128);
    const b = seedLatent(2, 128);
    for (const mix of [slerp, lerp]) {
      expect(mix(a, b, 0)).toEqual(a);
      expect(mix(a, b, 1)).toEqual(b);
    }
    const norm = (v: Float32Array) => Math.hypot(...v);
    // Half-way, lerp cuts through the middle (norm ≈ |a|/√2 for independent latents); slerp
    // stays near the sphere the latents lie on.
    expect(norm(slerp(a, b, 0.5)) / norm(a)).toBeGreaterThan(0.95);
    expect(norm(lerp(a, b, 0.5)) / norm(a)).toBeLessThan(0.85);
  });

  it('lays out (seeds − 1) × frames + 1 frames with a keyframe at each seed', () => {
    const frames = pathFrames(3, 4);
    expect(frames).toHaveLength(9);
    expect(frames.filter((f) => f.keyframe).map((f) => frames.indexOf(f))).toEqual([0, 4, 8]);
    expect(frames.at(-1)).toEqual({ segment: 1, t: 1, keyframe: true });
  });
});

describe('the generator on paths', () => {
  it("shows each seed's own sample at the path's keyframes, for slerp and lerp", async () => {
    const generator = await trainedGenerator();
    try {
      const seeds = [5, 17, 40];
      const direct = await generator.generate(seedLatents(seeds, 16, 0.7), seeds.length);
      const size = 32 * 32 * 3;
      for (const mode of ['slerp', 'lerp'] as const) {
        const { latents, frames } = pathLatents({ seeds, mode, framesPerSegment: 5, truncation: 0.7 }, 16);
        const images = await generator.generate(latents, frames.length);
        const keyframes = frames.flatMap((f, i) => (f.keyframe ? [i] : []));
        expect(keyframes).toEqual([0, 5, 10]);
        keyframes.forEach((frame, k) => {
          const got = images.subarray(frame * size, (frame + 1) * size);
          const want = direct.subarray(k * size, (k + 1) * size);
          expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
        });
        // Between the keyframes the images move: the path is not a slideshow.
        expect(maxAbsDiff(images.subarray(size, 2 * size), direct.subarray(0, size))).toBeGreaterThan(1e-4);
      }
    } finally {
      generator.dispose();
    }
  });

  it('does not leak tensors while generating', async () => {
    const generator = await trainedGenerator();
    try {
      await generator.generate(seedLatents([1], 16, 1), 1);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await generator.generate(seedLatents([1, 2, 3], 16, 1), 3, 2);
      await generator.referenceStatistics();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      generator.dispose();
    }
  });
});

describe('TensorFlow.js export', () => {
  it.each(modelFamilies)(
    "%s: loads with tfjs-layers and reproduces the studio's images within 1e-4",
    async (model) => {
      const generator = await trainedGenerator(model);
      try {
        const files = buildLayersModel(
          generator.shape,
          await generator.weights(),
          await generator.referenceStatistics(),
          { latentSize: 16 },
          'GAN Studio test',
        );
        const json = JSON.parse(files.modelJson) as {
          modelTopology: object;
          weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
          userDefinedMetadata: object;
        };
        expect(json.weightsManifest[0]?.paths).toEqual([weightsFileName]);
        expect(files.weights.byteLength).toBe(files.weightCount * 4);
        // In memory, as a browser's fetch or Node's file read would hand them over.
        const model = await tfl.loadLayersModel(
          tf.io.fromMemory({
            modelTopology: json.modelTopology,
            weightSpecs: json.weightsManifest[0]!.weights,
            weightData: files.weights.slice().buffer,
          }),
        );
        const seeds = [0, 1, 2, 3, 4, 5, 6, 7, 1234567];
        const latents = seedLatents(seeds, 16, 0.8);
        const expected = await generator.generate(latents, seeds.length);
        const input = tf.tensor2d(latents, [seeds.length, 16]);
        const output = model.predict(input) as tf.Tensor;
        expect(output.shape).toEqual([seeds.length, 32, 32, 3]);
        const actual = await output.data();
        expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-4);
        // One latent alone gives the same image as in the batch: the batch norms are baked.
        const single = model.predict(tf.tensor2d(latents.subarray(0, 16), [1, 16])) as tf.Tensor;
        expect(maxAbsDiff(await single.data(), expected.subarray(0, 32 * 32 * 3))).toBeLessThan(1e-4);
        tf.dispose([input, output, single]);
        model.dispose();
      } finally {
        generator.dispose();
      }
    },
  );
});
