import { describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../../shared/config.js';
import { hasGpuBackend, proposeSettings, typicalSide } from '../../shared/proposal.js';
import type { DatasetReport } from '../../shared/types.js';

describe('the settings proposed for a dataset and a machine', () => {
  it('proposes the small-data family, a size for the machine and augmentation for few images, with reasons', () => {
    const cpu = proposeSettings('standard', { datasetSize: 3700, gpu: false });
    expect(cpu.config).toMatchObject({
      model: 'fastgan',
      resolution: 64,
      width: 0.25,
      batchSize: 32,
      loss: 'hinge',
      diffAugment: 'on',
    });
    expect(cpu.reasons.join(' ')).toMatch(
      /3,700 images is a small dataset.*64 px: training runs on the CPU here/,
    );
    const gpu = proposeSettings('standard', { datasetSize: 3700, gpu: true });
    expect(gpu.config).toMatchObject({ resolution: 128, batchSize: 64 });
    expect(proposeSettings('detailed', { datasetSize: 20_000, gpu: true }).config).toMatchObject({
      resolution: 256,
      diffAugment: 'auto',
    });
    expect(proposeSettings('quick', { datasetSize: 50, gpu: false }).config.resolution).toBe(32);
    // Every proposal is a valid config.
    for (const preset of ['quick', 'standard', 'detailed'])
      for (const gpu of [false, true])
        expect(() =>
          resolveTrainConfig(preset, proposeSettings(preset, { datasetSize: 500, gpu }).config),
        ).not.toThrow();
  });

  it('does not propose more pixels than the images have, unless they are vectors', () => {
    const small = proposeSettings('detailed', { datasetSize: 3000, gpu: true, typicalSide: 48 });
    expect(small.config.resolution).toBe(32);
    expect(small.reasons.join(' ')).toMatch(/most images are about 48 px/);
    const report = (formats: Record<string, number>, sizes: { label: string; count: number }[]) =>
      ({
        usable: Object.values(formats).reduce((a, b) => a + b, 0),
        formats,
        sizes,
      }) as unknown as DatasetReport;
    expect(
      typicalSide(
        report({ png: 10 }, [
          { label: '≤64', count: 8 },
          { label: '65–128', count: 2 },
        ]),
      ),
    ).toBe(64);
    expect(
      typicalSide(
        report({ png: 10 }, [
          { label: '≤64', count: 2 },
          { label: '65–128', count: 8 },
        ]),
      ),
    ).toBe(128);
    expect(typicalSide(report({ svg: 9, png: 1 }, [{ label: '≤64', count: 10 }]))).toBeNull();
  });

  it('counts a machine as having a GPU only where a GPU backend loads', () => {
    expect(
      hasGpuBackend([
        { name: 'webgpu', available: false, reason: 'no adapter' },
        { name: 'wasm', available: true },
      ]),
    ).toBe(false);
    expect(hasGpuBackend([{ name: 'webgpu', available: true }])).toBe(true);
  });
});
