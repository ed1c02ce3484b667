import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunDetail, RunSummary } from '../../shared/types.js';
import { cli } from '../helpers/cli.js';
import { backUpIfDue } from '../../main/store/backup.js';
import { openDatabase } from '../../main/store/database.js';
import { writePngs } from '../helpers/images.js';
import { tempDir } from '../helpers/temp.js';
import { configFlags, tinyModel } from '../helpers/train-config.js';

afterEach(() => {
  process.exitCode = undefined;
});

const tiny = configFlags({
  ...tinyModel,
  resolution: 32,
  metricsEvery: 2,
  sampleEvery: 3,
  keepCheckpoints: 5,
  threads: 1,
});

/**
 * The fault test: a real run's store emptied (truncate -s 0 studio.db) and its latest checkpoint
 * damaged. The studio refuses to work over the runs it lost, `gan-studio doctor` rebuilds them
 * from their folders saying what was lost, and the run trains on from its good checkpoint.
 */
describe('a lost store and a damaged checkpoint', () => {
  it('are noticed, refused in silence, rebuilt by gan-studio doctor with what was lost said', async () => {
    const dataDir = tempDir();
    const images = await writePngs(tempDir(), 6, (i) => ({ r: i * 40, g: 120, b: 60 }));
    const first = await cli(
      'train',
      '--data',
      images,
      '--name',
      'precious',
      ...tiny,
      '--steps',
      '6',
      '--json',
      '--data-dir',
      dataDir,
    );
    expect(first.code).toBe(0);
    const id = (JSON.parse(first.out) as { runId: string }).runId;
    expect((await cli('train', '--resume', id, '--steps', '10', '--json', '--data-dir', dataDir)).code).toBe(
      0,
    );
    const runDir = path.join(dataDir, 'runs', id);
    const latest = path.join(runDir, 'checkpoints', 'step-0000010.ckpt');
    const bytes = fs.readFileSync(latest);
    bytes.fill(0, bytes.length >> 2, (bytes.length >> 2) + 65_536);
    fs.writeFileSync(latest, bytes);
    fs.truncateSync(path.join(dataDir, 'studio.db'), 0);
    fs.rmSync(path.join(dataDir, 'backups'), { recursive: true, force: true });

    // Nothing goes on over a store that lost a run: every command says so, and what to do.
    const refused = await cli('runs', 'list', '--data-dir', dataDir);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/does not know 1 run folder .*\(run-[\w-]+\).*gan-studio doctor/);

    const doctor = await cli('doctor', '--data-dir', dataDir);
    expect(doctor.code).toBe(0);
    expect(doctor.out).toMatch(/The store \(studio\.db\) was empty\./);
    expect(doctor.out).toMatch(
      /Rebuilt "precious" \(run-[\w-]+\) from its folder: interrupted at step 6, 1 checkpoint, \d+ sample grids, [1-9]\d* chart points\./,
    );
    expect(doctor.out).toMatch(
      /Lost: the checkpoint at step 10 \(its data does not match its checksum; kept as checkpoints\/step-0000010\.ckpt\.damaged\)/,
    );
    expect(doctor.out).toMatch(/Lost: steps 7–10, trained after its last good checkpoint/);
    expect(fs.existsSync(`${latest}.damaged`)).toBe(true);

    const run = JSON.parse((await cli('runs', 'show', id, '--json', '--data-dir', dataDir)).out) as RunDetail;
    expect(run).toMatchObject({
      name: 'precious',
      status: 'interrupted',
      step: 6,
      dataset: { imageCount: 6 },
    });
    expect(run.checkpoints.map((c) => c.step)).toEqual([6]);
    expect(run.stats.find((m) => m.name === 'dLoss')).toMatchObject({ lastStep: 6, count: 3 });
    expect(run.history.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['created', 'started', 'finished', 'interrupted']),
    );

    // And it goes on from there, with its curves whole.
    const resumed = await cli('train', '--resume', id, '--json', '--data-dir', dataDir);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ status: 'finished', step: 10 });
    const list = JSON.parse((await cli('runs', 'list', '--json', '--data-dir', dataDir)).out) as RunSummary[];
    expect(list.map((r) => r.id)).toEqual([id]);
  });

  it('puts the newest backup back in place of a damaged store, and rebuilds what ran since from the folders', async () => {
    const dataDir = tempDir();
    const images = await writePngs(tempDir(), 6, (i) => ({ r: 200 - i * 30, g: 40, b: 90 }));
    const first = await cli(
      'train',
      '--data',
      images,
      '--name',
      'kept',
      ...tiny,
      '--steps',
      '4',
      '--json',
      '--data-dir',
      dataDir,
    );
    const id = (JSON.parse(first.out) as { runId: string }).runId;
    const conn = openDatabase(dataDir);
    expect(await backUpIfDue(conn, dataDir)).toMatch(/backups\/studio-\d{8}-\d{6}\.db$/);
    conn.close();
    // Trained on after the backup: only its folder knows.
    expect((await cli('train', '--resume', id, '--steps', '8', '--json', '--data-dir', dataDir)).code).toBe(
      0,
    );
    fs.writeFileSync(path.join(dataDir, 'studio.db'), Buffer.alloc(8192, 0x41));

    const refused = await cli('runs', 'list', '--data-dir', dataDir);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/not a GAN Studio database .*damaged.*gan-studio doctor/);

    const doctor = await cli('doctor', '--data-dir', dataDir);
    expect(doctor.code).toBe(0);
    expect(doctor.out).toMatch(/was damaged/);
    expect(doctor.out).toMatch(/It was moved aside, kept as .*studio\.db\.damaged-\d{8}T\d{6}/);
    expect(doctor.out).toMatch(/Restored the store from its backup of /);
    expect(doctor.out).toMatch(/Rebuilt "kept" .*: finished at step 8, 2 checkpoints/);
    const run = JSON.parse((await cli('runs', 'show', id, '--json', '--data-dir', dataDir)).out) as RunDetail;
    expect(run).toMatchObject({ status: 'finished', step: 8 });
    expect(run.stats.find((m) => m.name === 'dLoss')).toMatchObject({ lastStep: 8, count: 4 });
  });
});
