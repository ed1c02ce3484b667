import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../../shared/config.js';
import { openDatabase } from '../../main/store/database.js';
import { RunStore } from '../../main/store/runs.js';
import { ownerAlive } from '../../main/common/owner.js';
import { tempDir } from '../helpers/temp.js';

function store() {
  const conn = openDatabase(tempDir());
  return { conn, runs: new RunStore(conn) };
}

describe('RunStore', () => {
  it('creates, reads, updates and deletes runs', () => {
    const { runs, conn } = store();
    const run = runs.create({ name: 'first', datasetId: null, config: defaultTrainConfig });
    expect(run).toMatchObject({
      name: 'first',
      status: 'queued',
      step: 0,
      totalSteps: defaultTrainConfig.steps,
      tags: [],
    });
    expect(runs.list().map((r) => r.id)).toEqual([run.id]);

    const updated = runs.update(run.id, { name: 'renamed', tags: ['a', 'b'], notes: 'hello' });
    expect(updated).toMatchObject({ name: 'renamed', tags: ['a', 'b'], notes: 'hello' });
    expect(runs.get(run.id)?.config).toEqual(defaultTrainConfig);

    expect(runs.delete(run.id)).toBe(true);
    expect(runs.get(run.id)).toBeUndefined();
    expect(runs.delete(run.id)).toBe(false);
    conn.close();
  });

  it('deleting a run removes its metrics, samples and checkpoints', () => {
    const { runs, conn } = store();
    const run = runs.create({ name: 'r', datasetId: null, config: defaultTrainConfig });
    runs.insertMetrics(run.id, [{ step: 1, wallTime: 1, values: { dLoss: 1, gLoss: 2 } }]);
    runs.addSample(run.id, 1, 'samples/step-1.png');
    runs.addCheckpoint(run.id, 1, 'checkpoints/step-1.ckpt');
    runs.delete(run.id);
    for (const table of ['metrics', 'samples', 'checkpoints']) {
      expect(conn.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get()).toBe(0);
    }
    conn.close();
  });

  it('writes metrics in batches, skips non-finite values and downsamples long series on read', () => {
    const { runs, conn } = store();
    const run = runs.create({ name: 'r', datasetId: null, config: defaultTrainConfig });
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      step: i + 1,
      wallTime: i,
      values: { dLoss: i % 2 === 0 ? 1 : 3, gLoss: i === 5 ? Number.NaN : 2 },
    }));
    runs.insertMetrics(run.id, rows);
    expect(conn.db.prepare('SELECT COUNT(*) FROM metrics').pluck().get()).toBe(19_999);
    const full = runs.metrics(run.id, ['dLoss'], 100_000);
    expect(full['dLoss']).toHaveLength(10_000);
    expect(full['gLoss']).toBeUndefined();
    const down = runs.metrics(run.id, undefined, 500);
    expect(down['dLoss']!.length).toBeLessThanOrEqual(500);
    expect(down['dLoss']!.length).toBeGreaterThan(400);
    // Buckets average alternating 1s and 3s.
    expect(down['dLoss']![10]!.value).toBeCloseTo(2, 5);
    expect(down['dLoss']!.at(-1)!.step).toBe(10_000);
    conn.close();
  });

  it('marks runs left running by a crash as interrupted, not those another live process trains', () => {
    const { runs, conn } = store();
    const crashed = runs.create({
      name: 'a',
      datasetId: null,
      config: defaultTrainConfig,
      status: 'running',
    });
    runs.update(crashed.id, { owner: `${os.hostname()}:999999999` });
    const elsewhere = runs.create({
      name: 'b',
      datasetId: null,
      config: defaultTrainConfig,
      status: 'running',
    });
    // The test runner's parent process is alive for as long as this test runs.
    runs.update(elsewhere.id, { owner: `${os.hostname()}:${process.ppid}` });
    const orphan = runs.create({ name: 'c', datasetId: null, config: defaultTrainConfig, status: 'queued' });
    const done = runs.create({ name: 'd', datasetId: null, config: defaultTrainConfig, status: 'finished' });
    // Just created by a live process, before its worker starts: it is that process's from the start.
    const starting = runs.create({
      name: 'e',
      datasetId: null,
      config: defaultTrainConfig,
      owner: `${os.hostname()}:${process.ppid}`,
    });
    expect(runs.markInterrupted(ownerAlive)).toBe(2);
    expect(runs.get(starting.id)).toMatchObject({
      status: 'queued',
      owner: `${os.hostname()}:${process.ppid}`,
    });
    expect(runs.get(crashed.id)).toMatchObject({ status: 'interrupted', owner: null });
    expect(runs.get(elsewhere.id)?.status).toBe('running');
    expect(runs.get(orphan.id)?.status).toBe('interrupted');
    expect(runs.get(done.id)?.status).toBe('finished');
    conn.close();
  });
});
