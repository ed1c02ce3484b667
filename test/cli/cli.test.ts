import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/cli.js';
import { recentSpeed } from '../../main/cli/train.js';
import { openDatabase } from '../../main/store/database.js';
import { DatasetStore } from '../../main/store/datasets.js';
import { writePngs } from '../helpers/images.js';
import { tempDir } from '../helpers/temp.js';

afterEach(() => {
  process.exitCode = undefined;
});

/** A user's image folder: three distinct 40 px PNGs. */
function threeImages(): Promise<string> {
  return writePngs(tempDir(), 3, (i) => ({ r: i * 80, g: 10, b: 10 }), { width: 40, height: 40 });
}

describe('gan-studio CLI', () => {
  it('prints usage and refuses unknown commands with exit code 2', async () => {
    expect((await cli('--help')).out).toContain('gan-studio serve');
    const bad = await cli('frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Unknown command "frobnicate"');
  });

  it('adds a folder as a dataset and lists it, as JSON', async () => {
    const dataDir = tempDir();
    const images = await threeImages();
    const added = await cli('datasets', 'add', images, '--resolution', '32', '--json', '--data-dir', dataDir);
    expect(added.code).toBe(0);
    const dataset = JSON.parse(added.out) as { status: string; imageCount: number; cache: { count: number } };
    expect(dataset).toMatchObject({ status: 'ready', imageCount: 3, cache: { count: 3 } });
    const listed = JSON.parse(
      (await cli('datasets', 'list', '--json', '--data-dir', dataDir)).out,
    ) as unknown[];
    expect(listed).toHaveLength(1);
    expect(JSON.parse((await cli('runs', 'list', '--json', '--data-dir', dataDir)).out)).toEqual([]);
    // A resolution the cache cannot have is refused before the folder is added.
    const bad = await cli('datasets', 'add', tempDir(), '--resolution', '48', '--data-dir', dataDir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--resolution must be 32, 64, 128, 256');
    expect(JSON.parse((await cli('datasets', 'list', '--json', '--data-dir', dataDir)).out)).toHaveLength(1);
  });

  it("sums a run's speed up as its recent mean, not its last report", () => {
    // 40 images a second for a minute, then one report from a window cut short.
    const reports = [
      ...Array.from({ length: 13 }, (_, i) => ({ step: 10 * i, at: 5_000 * i, imagesPerSecond: 40 })),
      { step: 121, at: 60_001, imagesPerSecond: 583_979 },
    ];
    expect(recentSpeed(reports, 20)).toBeCloseTo(40, 0);
    expect(recentSpeed([], 20)).toBe(0);
  });

  it('explains a folder that does not exist and exits non-zero', async () => {
    const result = await cli('datasets', 'add', '/no/such/folder', '--data-dir', tempDir());
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/does not exist|not found/i);
  });

  it('validates training flags before doing anything', async () => {
    const result = await cli('train', '--data', tempDir(), '--batch-size', 'lots', '--data-dir', tempDir());
    expect(result.code).toBe(2);
    expect(result.err).toContain('--batch-size needs a number');
  });

  it('after a killed scan, adding the folder again rescans it, and datasets rescan does too', async () => {
    const dataDir = tempDir();
    const images = await threeImages();
    // What a `datasets add` killed mid-scan leaves: the dataset 'scanning', by a process now gone.
    const conn = openDatabase(dataDir);
    const killed = new DatasetStore(conn).create({
      name: 'killed',
      path: fs.realpathSync(images),
      minSize: 16,
      scanOwner: `${os.hostname()}:999999999`,
    }).record;
    conn.close();

    const added = await cli('datasets', 'add', images, '--json', '--data-dir', dataDir);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.out)).toMatchObject({ id: killed.id, status: 'ready', imageCount: 3 });

    fs.rmSync(path.join(images, '0.png'));
    for (const target of [killed.id, images]) {
      const rescanned = await cli('datasets', 'rescan', target, '--json', '--data-dir', dataDir);
      expect(rescanned.code).toBe(0);
      expect(JSON.parse(rescanned.out)).toMatchObject({ id: killed.id, status: 'ready', imageCount: 2 });
    }
    const unknown = await cli('datasets', 'rescan', 'ds-nope', '--data-dir', dataDir);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('No dataset has the id or folder "ds-nope"');
  });
});
