import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Studio } from '../../main/studio.js';
import { openDatabase } from '../../main/store/database.js';
import { DatasetStore } from '../../main/store/datasets.js';
import { defaultTrainConfig } from '../../shared/config.js';
import { canMountSmallDisk, smallDisk } from '../helpers/small-disk.js';

const child = path.resolve('test/helpers/cli-child.ts');

/** The CLI in its own process, as a user runs it. */
function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', child, ...args], { encoding: 'utf8' });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe.skipIf(!canMountSmallDisk)('a data folder on a full disk (tmpfs)', () => {
  it('still opens: runs and datasets are listed, and what a dead process left is recovered', async () => {
    const disk = smallDisk(8);
    const dataDir = path.join(disk.dir, 'data');
    const studio = new Studio({ dataDir, shell: 'serve' });
    const run = studio.runs.create({ name: 'cut off', datasetId: null, config: defaultTrainConfig });
    // Left running by a process that is gone (its pid cannot be alive on this host).
    studio.runs.update(run.id, { status: 'running', owner: `${os.hostname()}:999999999` });
    const { record: dataset } = new DatasetStore(studio.conn).create({
      name: 'half',
      path: disk.dir,
      minSize: 16,
      scanOwner: `${os.hostname()}:999999999`,
    });
    await studio.close();
    disk.fill();

    const runs = cli('runs', 'list', '--json', '--data-dir', dataDir);
    expect(runs.err).toBe('');
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.out)).toMatchObject([{ id: run.id, status: 'interrupted' }]);
    // Again, now that the reserve is spent: still readable.
    const datasets = cli('datasets', 'list', '--json', '--data-dir', dataDir);
    expect(datasets.code).toBe(0);
    expect(JSON.parse(datasets.out)).toMatchObject([{ id: dataset.id, status: 'cancelled' }]);

    disk.unfill();
    const conn = openDatabase(dataDir);
    expect(conn.db.pragma('integrity_check', { simple: true })).toBe('ok');
    conn.close();
  });
});
