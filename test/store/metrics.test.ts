import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../../shared/config.js';
import { openDatabase, type Connection } from '../../main/store/database.js';
import { RunStore } from '../../main/store/runs.js';
import { tempDir } from '../helpers/temp.js';

function store() {
  const conn = openDatabase(tempDir());
  return { conn, runs: new RunStore(conn) };
}

/** Rows of two metrics every `every` steps up to `last`, with values that vary. */
function rows(last: number, every: number, seed = 1) {
  const out = [];
  for (let step = every; step <= last; step += every) {
    out.push({
      step,
      wallTime: 1_000_000 + step * 10,
      values: { dLoss: Math.sin(step * 0.37 + seed) * 2 + 1, gLoss: ((step * 7919 + seed) % 101) / 10 },
    });
  }
  return out;
}

type BlockRow = {
  name: string;
  width: number;
  block: number;
  n: number;
  sum: number;
  min: number;
  min_step: number;
  max: number;
  first_step: number;
  last_step: number;
  last_wall: number;
};

function blocks(conn: Connection, runId: string): BlockRow[] {
  return conn.db
    .prepare('SELECT * FROM metric_blocks WHERE run_id = ? ORDER BY name, width, block')
    .all(runId)
    .map((r) => {
      const { run_id: _run, ...rest } = r as BlockRow & { run_id: string };
      return { ...rest, sum: Number(rest.sum.toFixed(9)) };
    });
}

describe('MetricStore', () => {
  it('keeps block summaries equal to the rows, however the rows arrive in batches', () => {
    const { conn, runs } = store();
    const a = runs.create({ name: 'one batch', datasetId: null, config: defaultTrainConfig });
    const b = runs.create({ name: 'many batches', datasetId: null, config: defaultTrainConfig });
    const all = rows(70_000, 3);
    runs.insertMetrics(a.id, all);
    for (let i = 0; i < all.length; i += 777) runs.insertMetrics(b.id, all.slice(i, i + 777));
    const summary = conn.db
      .prepare(
        `SELECT name, COUNT(*) AS n, MIN(value) AS min, MAX(value) AS max, MIN(step) AS first, MAX(step) AS last
         FROM metrics WHERE run_id = ? AND step / 4096 = 5 GROUP BY name ORDER BY name`,
      )
      .all(a.id);
    const block5 = blocks(conn, a.id).filter((r) => r.width === 4096 && r.block === 5);
    expect(
      block5.map(({ name, n, min, max, first_step, last_step }) => ({
        name,
        n,
        min,
        max,
        first: first_step,
        last: last_step,
      })),
    ).toEqual(summary);
    expect(blocks(conn, b.id)).toEqual(blocks(conn, a.id));
    conn.close();
  });

  it('returns every point of short series and buckets long ones on one grid for all runs', () => {
    const { conn, runs } = store();
    const long = runs.create({ name: 'long', datasetId: null, config: defaultTrainConfig });
    const short = runs.create({ name: 'short', datasetId: null, config: defaultTrainConfig });
    runs.insertMetrics(long.id, rows(200_000, 10));
    runs.insertMetrics(short.id, rows(60_000, 10, 2));

    const whole = runs.metricStore.read([short.id], ['dLoss'], 10_000);
    expect(whole.bucket).toBe(0);
    expect(whole.runs[0]!.metrics['dLoss']!.step).toHaveLength(6000);
    expect(whole.runs[0]!.metrics['dLoss']!.min).toBeUndefined();

    const set = runs.metricStore.read([long.id, short.id], undefined, 1000);
    expect(set.bucket).toBeGreaterThan(0);
    const [l, s] = set.runs.map((r) => r.metrics['dLoss']!);
    expect(l!.step.length).toBeLessThanOrEqual(1000);
    expect(l!.step.length).toBeGreaterThanOrEqual(500);
    // Same buckets, so the shorter run's points sit at the longer run's steps.
    expect(s!.step).toEqual(l!.step.slice(0, s!.step.length - 1).concat(s!.step.at(-1)!));
    expect(l!.step.at(-1)).toBe(200_000);

    // Each bucket agrees with the rows it stands for.
    const i = 37;
    const lo = l!.step[i - 1]!;
    const raw = conn.db
      .prepare(
        `SELECT AVG(value) AS mean, MIN(value) AS min, MAX(value) AS max FROM metrics
         WHERE run_id = ? AND name = 'dLoss' AND step > ? AND step <= ?`,
      )
      .get(long.id, lo, l!.step[i]) as { mean: number; min: number; max: number };
    expect(l!.value[i]).toBeCloseTo(raw.mean, 9);
    expect(l!.min![i]).toBe(raw.min);
    expect(l!.max![i]).toBe(raw.max);
    expect(l!.wall[i]).toBe(1_000_000 + l!.step[i]! * 10);
    conn.close();
  });

  it('keeps blocks no narrower than twice the metrics interval, and still lines runs up', () => {
    const { conn, runs } = store();
    const dense = runs.create({
      name: 'every step',
      datasetId: null,
      config: { ...defaultTrainConfig, metricsEvery: 1 },
    });
    const sparse = runs.create({
      name: 'every 10',
      datasetId: null,
      config: { ...defaultTrainConfig, metricsEvery: 10 },
    });
    runs.insertMetrics(dense.id, rows(30_000, 1));
    runs.insertMetrics(sparse.id, rows(30_000, 10));
    const widths = (id: string) =>
      conn.db
        .prepare('SELECT DISTINCT width FROM metric_blocks WHERE run_id = ? ORDER BY width')
        .pluck()
        .all(id);
    expect(widths(dense.id)).toEqual([8, 64, 512, 4096, 32768]);
    expect(widths(sparse.id)).toEqual([64, 512, 4096, 32768]);
    // 30,000 steps in at most 1,000 points: buckets of 32 steps; the sparse run's 64-step blocks
    // are too wide for them, so its rows are bucketed instead, on the same grid.
    const set = runs.metricStore.read([dense.id, sparse.id], ['dLoss'], 1000);
    expect(set.bucket).toBe(32);
    const [d, s] = set.runs.map((r) => r.metrics['dLoss']!);
    // Point by point, both runs stand for the same bucket of steps.
    const bucketOf = (step: number) => Math.floor(step / 32);
    expect(s!.step.map(bucketOf)).toEqual(d!.step.map(bucketOf));
    expect(s!.step.length).toBeGreaterThan(900);
    conn.close();
  });

  it('buckets from the rows when a range is too short for the blocks', () => {
    const { conn, runs } = store();
    const run = runs.create({ name: 'dense', datasetId: null, config: defaultTrainConfig });
    runs.insertMetrics(run.id, rows(3000, 1));
    const set = runs.metricStore.read([run.id], ['gLoss'], 1000);
    expect(set.bucket).toBe(4);
    const g = set.runs[0]!.metrics['gLoss']!;
    expect(g.step.slice(0, 3)).toEqual([3, 7, 11]);
    const firstThree = [1, 2, 3].map((s) => ((s * 7919 + 1) % 101) / 10);
    expect(g.value[0]).toBeCloseTo(firstThree.reduce((a, b) => a + b) / 3, 9);
    conn.close();
  });

  it('re-summarises the blocks around a rewind exactly as if the later rows were never written', () => {
    const { conn, runs } = store();
    const rewound = runs.create({ name: 'rewound', datasetId: null, config: defaultTrainConfig });
    const straight = runs.create({ name: 'straight', datasetId: null, config: defaultTrainConfig });
    // Rows every 3 steps and a rewind to 33,330: the 8-step block 4166 holds 33,330 and 33,333,
    // so blocks of every width straddle the rewind.
    runs.insertMetrics(rewound.id, rows(50_000, 3));
    runs.truncateAfter(rewound.id, 33_330);
    runs.insertMetrics(straight.id, rows(33_330, 3));
    expect(blocks(conn, rewound.id)).toEqual(blocks(conn, straight.id));
    // Written again after the rewind, the blocks still match a run that never rewound.
    const again = rows(40_000, 3).filter((r) => r.step > 33_330);
    runs.insertMetrics(rewound.id, again);
    runs.insertMetrics(straight.id, again);
    expect(blocks(conn, rewound.id)).toEqual(blocks(conn, straight.id));
    conn.close();
  });

  it('reports the final and the lowest value of each metric with their steps', () => {
    const { conn, runs } = store();
    const run = runs.create({ name: 'r', datasetId: null, config: defaultTrainConfig });
    runs.insertMetrics(run.id, [
      { step: 10, wallTime: 1, values: { dLoss: 3, gLoss: 1 } },
      { step: 20, wallTime: 2, values: { dLoss: 0.5, gLoss: 2 } },
      { step: 30, wallTime: 3, values: { dLoss: 1.5, gLoss: 0.25 } },
    ]);
    expect(runs.metricStore.stats(run.id)).toEqual([
      { name: 'dLoss', count: 3, last: 1.5, lastStep: 30, min: 0.5, minStep: 20 },
      { name: 'gLoss', count: 3, last: 0.25, lastStep: 30, min: 0.25, minStep: 30 },
    ]);
    expect(runs.get(run.id)).toMatchObject({ lastDLoss: 1.5, lastGLoss: 0.25 });
    conn.close();
  });
});
