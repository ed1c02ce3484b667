import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  freeBytes,
  generationSpaceNeed,
  requireFreeSpace,
  runSpaceNeed,
} from '../../main/common/disk-space.js';
import { buildDiscriminator, buildGenerator, countParams } from '../../main/training/engine/models.js';
import { defaultTrainConfig, presetConfig } from '../../shared/config.js';
import { modelParams } from '../../shared/model-size.js';
import { tempDir } from '../helpers/temp.js';

describe('the room new work needs', () => {
  it('counts the parameters the engine builds, for every resolution and some widths', () => {
    for (const [model, sizes] of [
      ['dcgan', [32, 64, 128]],
      ['fastgan', [32, 64, 128, 256]],
    ] as const) {
      for (const resolution of sizes) {
        for (const width of [0.125, 0.5, 1, 1.3, 4]) {
          for (const latentSize of [8, 100, 512]) {
            const shape = { model, resolution, width, latentSize };
            const built = { family: model, resolution, width, latentSize };
            expect({ shape, ...modelParams(shape) }).toEqual({
              shape,
              generator: countParams(buildGenerator(built)),
              discriminator: countParams(buildDiscriminator(built)),
            });
          }
        }
      }
    }
  });

  it('gives a run room for every checkpoint kept and one more, and its first grids', () => {
    // 32 px, width 1: G 1,073,027 and D 663,361 parameters; a checkpoint holds 4 G and 3 D in float32.
    const checkpoint = (4 * 1_073_027 + 3 * 663_361) * 4;
    const need = runSpaceNeed(defaultTrainConfig);
    expect(need.bytes).toBeGreaterThan((defaultTrainConfig.keepCheckpoints + 1) * checkpoint);
    expect(need.bytes).toBeLessThan(2 * (defaultTrainConfig.keepCheckpoints + 1) * checkpoint);
    expect(runSpaceNeed({ ...defaultTrainConfig, keepCheckpoints: 10 }).bytes).toBeGreaterThan(need.bytes);
    expect(runSpaceNeed(presetConfig('detailed')).bytes).toBeGreaterThan(need.bytes);
    // A set of 32 px PNGs: at most their raw pixels each, and a little.
    const set = generationSpaceNeed(1000, 32).bytes;
    expect(set).toBeGreaterThan(1000 * 32 * 32 * 3);
    expect(set).toBeLessThan(1000 * 32 * 32 * 3 * 1.5);
  });

  it('refuses what does not fit, saying what it needs, what is free and what to do', () => {
    const need = { bytes: 12_300_000, what: 'start this run', instead: 'keep fewer checkpoints' };
    expect(() => requireFreeSpace('/data', need, () => 840 * 1024)).toThrow(
      expect.objectContaining({
        code: 'unavailable',
        message:
          'Not enough disk space to start this run: it needs about 12 MB, and 0.9 MB is free on the disk of /data. ' +
          'Free some space, or keep fewer checkpoints, then try again.',
      }),
    );
    expect(() => requireFreeSpace('/data', need, () => 12_300_000)).not.toThrow();
    // A disk that cannot be measured does not stop the work.
    expect(() =>
      requireFreeSpace('/data', need, () => {
        throw new Error('ENOSYS');
      }),
    ).not.toThrow();
  });

  it('measures a folder not made yet on the disk that will hold it', () => {
    const dir = tempDir();
    const notYet = freeBytes(path.join(dir, 'not', 'made', 'yet'));
    expect(notYet).toBeGreaterThan(0);
    // The same disk, give or take what others wrote in between.
    expect(Math.abs(notYet - freeBytes(dir))).toBeLessThan(256 * 1024 * 1024);
  });
});
