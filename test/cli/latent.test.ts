import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { writePngs } from '../helpers/images.js';

describe('gan-studio latent, generate and export', () => {
  it('walks, generates a set and exports the generator of a run, through the API', async () => {
    const dataDir = tempDir();
    const images = await writePngs(tempDir(), 6, (i) => ({ r: 40 * i, g: 90, b: 160 }));
    const trained = await cli(
      'train',
      '--data',
      images,
      '--name',
      'walker',
      '--steps',
      '4',
      '--batch-size',
      '2',
      '--width',
      '0.125',
      '--latent-size',
      '16',
      '--backend',
      'wasm',
      '--threads',
      '1',
      '--json',
      '--data-dir',
      dataDir,
    );
    expect(trained.code).toBe(0);
    expect(JSON.parse(trained.out)).toMatchObject({ status: 'finished', step: 4 });

    // A GIF with the frames asked for: 4 per segment, two segments, and the last seed.
    const gif = path.join(tempDir(), 'walk.gif');
    const walk = await cli(
      'latent',
      'interpolate',
      'walker',
      '--seeds',
      '1,2,3',
      '--frames',
      '4',
      '--out',
      gif,
      '--truncation',
      '0.7',
      '--lerp',
      '--checkpoint',
      '4',
      '--data-dir',
      dataDir,
    );
    expect(walk.err).toBe('');
    expect(walk.code).toBe(0);
    expect(walk.out).toContain('9 frames of 32×32 px from step 4');
    expect(await sharp(gif, { animated: true }).metadata()).toMatchObject({ format: 'gif', pages: 9 });

    const strip = path.join(tempDir(), 'walk.png');
    expect(
      (
        await cli(
          'latent',
          'interpolate',
          'walker',
          '--seeds',
          '5,6',
          '--frames',
          '3',
          '--out',
          strip,
          '--data-dir',
          dataDir,
        )
      ).code,
    ).toBe(0);
    expect(await sharp(strip).metadata()).toMatchObject({ width: 4 * 32, height: 32 });

    const bad = await cli(
      'latent',
      'interpolate',
      'walker',
      '--seeds',
      '1,x',
      '--out',
      gif,
      '--data-dir',
      dataDir,
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--seeds takes whole numbers');
    const noCheckpoint = await cli(
      'latent',
      'interpolate',
      'walker',
      '--seeds',
      '1,2',
      '--out',
      gif,
      '--checkpoint',
      '2',
      '--data-dir',
      dataDir,
    );
    expect(noCheckpoint.code).toBe(1);
    expect(noCheckpoint.err).toContain('has no checkpoint at step 2');

    // A generated set lands in a new folder, complete with its manifest; a full folder is refused.
    const out = path.join(tempDir(), 'extra');
    const generated = await cli(
      'generate',
      'walker',
      '--count',
      '25',
      '--out',
      out,
      '--seed-start',
      '100',
      '--data-dir',
      dataDir,
    );
    expect(generated.code).toBe(0);
    expect(generated.out).toContain(`Wrote 25 images and manifest.json to ${out}`);
    const files = fs.readdirSync(out);
    expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(25);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
      files: { seed: number }[];
    };
    expect(manifest.files.map((f) => f.seed)).toEqual(Array.from({ length: 25 }, (_, i) => 100 + i));
    expect(fs.readdirSync(path.join(dataDir, 'generated'))).toEqual([]);
    const full = await cli('generate', 'walker', '--count', '5', '--out', out, '--data-dir', dataDir);
    expect(full.code).toBe(2);
    expect(full.err).toContain('is not empty');

    const model = path.join(tempDir(), 'model');
    const exported = await cli('export', 'walker', '--format', 'tfjs', '--out', model, '--data-dir', dataDir);
    expect(exported.code).toBe(0);
    expect(fs.readdirSync(model).sort()).toEqual(['gan-studio.json', 'group1-shard1of1.bin', 'model.json']);
    const json = JSON.parse(fs.readFileSync(path.join(model, 'model.json'), 'utf8')) as { format: string };
    expect(json.format).toBe('layers-model');
    const wrongFormat = await cli('export', 'walker', '--format', 'onnx', '--data-dir', dataDir);
    expect(wrongFormat.code).toBe(2);

    const check = await cli('latent', 'check', 'walker', '--seeds', '1,2', '--json', '--data-dir', dataDir);
    expect(check.code).toBe(0);
    const result = JSON.parse(check.out) as { trainingCount: number; matches: { distance: number }[] };
    expect(result.trainingCount).toBe(6);
    expect(result.matches).toHaveLength(2);
  });
});
