import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { trainConfigSchema, type TrainConfigInput } from '../../../shared/config.js';
import { GanTrainer, trainSteps, type StepMetrics } from '../../../main/training/engine/trainer.js';
import { onBackend } from '../helpers.js';
import { noiseImages } from '../../../main/training/engine/data.js';

/**
 * The engine's numbers on wasm and cpu, pinned. engine-golden.json was recorded with the engine
 * as of f36bb4d (synchronous steps, one op set for every backend); choosing ops per backend and
 * reading metrics asynchronously must leave wasm and cpu training exactly as it was.
 */

interface Golden {
  steps: StepMetrics[];
  imageSum: number;
  image: number[];
}
const golden = JSON.parse(
  fs.readFileSync(new URL('./fixtures/engine-golden.json', import.meta.url), 'utf8'),
) as Record<string, Golden>;

const cases: [string, TrainConfigInput][] = [
  ['bce-augment-flip-ema', { loss: 'bce', diffAugment: 'on', flip: true, emaDecay: 0.9 }],
  ['hinge-plain', { loss: 'hinge', diffAugment: 'off' }],
];

/** Equal up to float32 rounding jitter (another CPU may take another XNNPACK path). */
function expectSame(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    1e-6 * Math.max(1, Math.abs(expected)),
  );
}

describe('engine numbers on wasm and cpu are unchanged', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const [name, extra] of cases) {
      it(`${backend}, ${name}: four steps and a generated image as recorded`, async () => {
        const c = trainConfigSchema.parse({
          resolution: 32,
          width: 0.125,
          batchSize: 4,
          latentSize: 16,
          seed: 11,
          ...extra,
        });
        const expected = golden[`${backend}/${name}`] as Golden;
        const got = await onBackend(backend, async () => {
          const t = GanTrainer.create(c, noiseImages(6, 32), 6);
          const steps = await trainSteps(t, 4);
          const latents = new Float32Array(2 * 16).map((_, i) => Math.cos(i * 0.7));
          const images = await t.generate(latents, 2);
          t.dispose();
          return {
            steps,
            imageSum: images.reduce((a, b) => a + b, 0),
            image: Array.from(images.subarray(0, 6)),
          };
        });
        got.steps.forEach((m, i) => {
          const e = expected.steps[i] as StepMetrics;
          expect(m.step).toBe(e.step);
          for (const key of ['dLoss', 'gLoss', 'dReal', 'dFake', 'dFakeAfter'] as const)
            expectSame(m[key], e[key], `step ${m.step} ${key}`);
        });
        expectSame(got.imageSum, expected.imageSum, 'image sum');
        got.image.forEach((v, i) => expectSame(v, expected.image[i] ?? NaN, `pixel ${i}`));
      });
    }
  }
});
