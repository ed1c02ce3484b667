import type { MetricStat } from '../../shared/types.js';
import type { Connection } from './database.js';
import { blockWidths, finestBlockWidth } from './migrations/0050-metric-blocks.js';

export interface MetricRow {
  step: number;
  wallTime: number;
  values: Record<string, number>;
}

/** One metric of one run as columns; min and max only where points stand for buckets. */
export interface StoredSeries {
  step: number[];
  wall: number[];
  value: number[];
  min?: number[];
  max?: number[];
}

export interface StoredSeriesSet {
  /** Steps per bucket; 0 when every point is there. */
  bucket: number;
  runs: { runId: string; metrics: Record<string, StoredSeries> }[];
}

/** What one block (or bucket) of steps holds of one metric. */
interface Summary {
  n: number;
  sum: number;
  min: number;
  minStep: number;
  max: number;
  first: number;
  last: number;
  lastWall: number;
}

/** A summary's values in metric_blocks' column order, after run_id, name, width and block. */
function summaryColumns(b: Summary): number[] {
  return [b.n, b.sum, b.min, b.minStep, b.max, b.first, b.last, b.lastWall];
}

function single(step: number, wall: number, value: number): Summary {
  return { n: 1, sum: value, min: value, minStep: step, max: value, first: step, last: step, lastWall: wall };
}

/** Folds b (later steps, or the same block's next rows) into a. */
function merge(a: Summary, b: Summary): void {
  a.n += b.n;
  a.sum += b.sum;
  if (b.min < a.min) {
    a.min = b.min;
    a.minStep = b.minStep;
  }
  a.max = Math.max(a.max, b.max);
  a.first = Math.min(a.first, b.first);
  if (b.last >= a.last) {
    a.last = b.last;
    a.lastWall = b.lastWall;
  }
}

const coarsest = blockWidths[blockWidths.length - 1]!;

/**
 * Metric rows and their block summaries (migration 50). Writes keep both in one transaction;
 * reads of long series come from the blocks, so a chart of a million rows reads a few thousand.
 */
export class MetricStore {
  constructor(private readonly conn: Connection) {}

  /** Writes many metric points in one transaction: one fsync instead of thousands. */
  insert(runId: string, rows: readonly MetricRow[]): void {
    if (rows.length === 0) return;
    const insert = this.conn.prepare(
      'INSERT INTO metrics (run_id, step, wall_time, name, value) VALUES (?, ?, ?, ?, ?)',
    );
    const blocks = new Map<string, Summary & { name: string; width: number; block: number }>();
    this.conn.transaction(() => {
      const widths = blockWidths.filter((w) => w >= this.finestWidth(runId));
      for (const row of rows) {
        for (const [name, value] of Object.entries(row.values)) {
          // SQLite stores NaN as NULL, which the schema refuses; a non-finite loss is reported
          // through the run's status instead.
          if (!Number.isFinite(value)) continue;
          insert.run(runId, row.step, row.wallTime, name, value);
          for (const width of widths) {
            const block = Math.floor(row.step / width);
            const key = `${name}\0${width}\0${block}`;
            const point = single(row.step, row.wallTime, value);
            const open = blocks.get(key);
            if (open) merge(open, point);
            else blocks.set(key, { ...point, name, width, block });
          }
        }
      }
      const upsert = this.conn.prepare(
        `INSERT INTO metric_blocks (run_id, name, width, block, n, sum, min, min_step, max, first_step, last_step, last_wall)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, name, width, block) DO UPDATE SET
           n = n + excluded.n,
           sum = sum + excluded.sum,
           min_step = CASE WHEN excluded.min < min THEN excluded.min_step ELSE min_step END,
           min = MIN(min, excluded.min),
           max = MAX(max, excluded.max),
           first_step = MIN(first_step, excluded.first_step),
           last_wall = CASE WHEN excluded.last_step >= last_step THEN excluded.last_wall ELSE last_wall END,
           last_step = MAX(last_step, excluded.last_step)`,
      );
      for (const b of blocks.values()) {
        upsert.run(runId, b.name, b.width, b.block, ...summaryColumns(b));
      }
    });
  }

  /**
   * The narrowest blocks a run keeps: those it has, or for a run with none yet, what suits its
   * metrics interval. A later change of interval keeps the run's width, so its blocks stay whole.
   */
  private finestWidth(runId: string): number {
    const kept = this.conn
      .prepare<[string], { width: number | null }>(
        'SELECT MIN(width) AS width FROM metric_blocks WHERE run_id = ?',
      )
      .get(runId)?.width;
    if (kept) return kept;
    const every = this.conn
      .prepare<[string], { every: number | null }>(
        "SELECT json_extract(config_json, '$.metricsEvery') AS every FROM runs WHERE id = ?",
      )
      .get(runId)?.every;
    return finestBlockWidth(every ?? 10);
  }

  /**
   * Drops the metrics past a step (a run continuing from an earlier checkpoint writes them
   * again), and re-summarises the blocks that straddle it.
   */
  truncateAfter(runId: string, step: number): void {
    this.conn.transaction(() => {
      this.conn.prepare('DELETE FROM metrics WHERE run_id = ? AND step > ?').run(runId, step);
      this.conn.prepare('DELETE FROM metric_blocks WHERE run_id = ? AND first_step > ?').run(runId, step);
      // Blocks holding `step` and later steps: summarised again from the rows that remain.
      const straddling = this.conn
        .prepare<[string, number], { name: string; width: number; block: number }>(
          'SELECT name, width, block FROM metric_blocks WHERE run_id = ? AND last_step > ? ORDER BY name',
        )
        .all(runId, step);
      if (straddling.length === 0) return;
      this.conn.prepare('DELETE FROM metric_blocks WHERE run_id = ? AND last_step > ?').run(runId, step);
      // The widest block holding `step` starts here; every narrower one starts at or after it.
      const from = Math.floor(step / coarsest) * coarsest;
      const rowsOf = this.conn
        .prepare<[string, string, number, number], [number, number, number]>(
          'SELECT step, wall_time, value FROM metrics WHERE run_id = ? AND name = ? AND step >= ? AND step <= ? ORDER BY step',
        )
        .raw();
      const insert = this.conn.prepare(
        `INSERT INTO metric_blocks (run_id, name, width, block, n, sum, min, min_step, max, first_step, last_step, last_wall)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      let rows: [number, number, number][] = [];
      let rowsName = '';
      for (const { name, width, block } of straddling) {
        if (name !== rowsName) {
          rows = rowsOf.all(runId, name, from, step);
          rowsName = name;
        }
        let b: Summary | null = null;
        for (const [s, wall, value] of rows) {
          if (Math.floor(s / width) !== block) continue;
          if (b) merge(b, single(s, wall, value));
          else b = single(s, wall, value);
        }
        if (b) insert.run(runId, name, width, block, ...summaryColumns(b));
      }
    });
  }

  /** The metrics a run has, with how many points and which steps each covers. */
  names(runId: string): { name: string; count: number; first: number; last: number }[] {
    return this.conn
      .prepare<[string, number], { name: string; count: number; first: number; last: number }>(
        `SELECT name, SUM(n) AS count, MIN(first_step) AS first, MAX(last_step) AS last
         FROM metric_blocks WHERE run_id = ? AND width = ? GROUP BY name ORDER BY name`,
      )
      .all(runId, coarsest);
  }

  /** Final and lowest value of every metric of a run. */
  stats(runId: string): MetricStat[] {
    const last = this.conn.prepare<[string, string], { step: number; value: number }>(
      'SELECT step, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step DESC LIMIT 1',
    );
    const lowest = this.conn.prepare<[string, number, string], { min: number; minStep: number }>(
      `SELECT min, min_step AS minStep FROM metric_blocks WHERE run_id = ? AND width = ? AND name = ?
       ORDER BY min, min_step LIMIT 1`,
    );
    const stats: MetricStat[] = [];
    for (const { name, count } of this.names(runId)) {
      const end = last.get(runId, name);
      const low = lowest.get(runId, coarsest, name);
      if (!end || !low) continue;
      stats.push({ name, count, last: end.value, lastStep: end.step, min: low.min, minStep: low.minStep });
    }
    return stats;
  }

  /** The last recorded value of one metric, or null. */
  last(runId: string, name: string): { step: number; value: number } | null {
    return (
      this.conn
        .prepare<[string, string], { step: number; value: number }>(
          'SELECT step, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step DESC LIMIT 1',
        )
        .get(runId, name) ?? null
    );
  }

  /**
   * The newest rows past a step, at most `limit` steps of each metric, merged by step in step
   * order: what another process recorded since a watcher last looked (outside-runs.ts).
   */
  after(runId: string, step: number, limit: number): MetricRow[] {
    const query = this.conn.prepare<[string, string, number, number], [number, number, number]>(
      'SELECT step, wall_time, value FROM metrics WHERE run_id = ? AND name = ? AND step > ? ORDER BY step DESC LIMIT ?',
    );
    const rows = new Map<number, MetricRow>();
    for (const { name } of this.names(runId)) {
      for (const [s, wall, value] of query.raw().all(runId, name, step, limit)) {
        const row = rows.get(s) ?? { step: s, wallTime: wall, values: {} };
        row.values[name] = value;
        rows.set(s, row);
      }
    }
    return [...rows.values()].sort((a, b) => a.step - b.step);
  }

  /** Every recorded point of one metric, in step order. */
  points(runId: string, name: string): { step: number[]; wall: number[]; value: number[] } {
    const rows = this.conn
      .prepare<[string, string], [number, number, number]>(
        'SELECT step, wall_time, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step',
      )
      .raw()
      .all(runId, name);
    const out = {
      step: new Array<number>(rows.length),
      wall: new Array<number>(rows.length),
      value: new Array<number>(rows.length),
    };
    rows.forEach(([s, w, v], i) => {
      out.step[i] = s;
      out.wall[i] = w;
      out.value[i] = v;
    });
    return out;
  }

  /**
   * Series of several runs on one grid. When every series has at most maxPoints points they
   * come whole; otherwise each is cut into buckets of the same steps for every run (between
   * maxPoints / 2 and maxPoints of them), each run's summarised from the widest blocks it keeps
   * that fit a bucket, or from its rows where its blocks are too wide.
   */
  read(runIds: readonly string[], names: readonly string[] | undefined, maxPoints: number): StoredSeriesSet {
    const available = runIds.map((id) => this.names(id).filter((m) => !names || names.includes(m.name)));
    const hi = Math.max(0, ...available.flat().map((m) => m.last));
    const whole = available.flat().every((m) => m.count <= maxPoints);
    const want = Math.ceil((hi + 1) / maxPoints);
    if (whole || want <= 1) {
      return {
        bucket: 0,
        runs: runIds.map((runId, i) => ({
          runId,
          metrics: Object.fromEntries(available[i]!.map((m) => [m.name, this.points(runId, m.name)])),
        })),
      };
    }
    // Widths are powers of 8 times 8: a bucket that is a multiple of one is a multiple of all
    // narrower ones, so every run's blocks fit the common buckets exactly.
    const widest = [...blockWidths].reverse().find((w) => w <= want);
    const bucket = widest ? Math.ceil(want / widest) * widest : want;
    return {
      bucket,
      runs: runIds.map((runId, i) => {
        const finest = this.finestWidth(runId);
        const width = [...blockWidths].reverse().find((w) => w >= finest && w <= bucket && bucket % w === 0);
        return {
          runId,
          metrics: Object.fromEntries(
            available[i]!.map((m) => [
              m.name,
              width
                ? this.bucketBlocks(runId, m.name, width, bucket)
                : this.bucketPoints(runId, m.name, bucket),
            ]),
          ),
        };
      }),
    };
  }

  private bucketBlocks(runId: string, name: string, width: number, bucket: number): StoredSeries {
    const rows = this.conn
      .prepare<
        [string, number, string],
        [number, number, number, number, number, number, number, number, number]
      >(
        `SELECT block, n, sum, min, min_step, max, first_step, last_step, last_wall FROM metric_blocks
         WHERE run_id = ? AND width = ? AND name = ? ORDER BY block`,
      )
      .raw()
      .all(runId, width, name);
    const summaries = rows.map(([block, n, sum, min, minStep, max, first, last, lastWall]) => ({
      key: Math.floor((block * width) / bucket),
      summary: { n, sum, min, minStep, max, first, last, lastWall },
    }));
    return toColumns(summaries);
  }

  /** Short ranges with more points than asked for: bucketed from the rows themselves. */
  private bucketPoints(runId: string, name: string, bucket: number): StoredSeries {
    const { step, wall, value } = this.points(runId, name);
    return toColumns(
      step.map((s, i) => ({ key: Math.floor(s / bucket), summary: single(s, wall[i]!, value[i]!) })),
    );
  }
}

/** Merges consecutive summaries with the same bucket key into one point each. */
function toColumns(summaries: { key: number; summary: Summary }[]): StoredSeries {
  const out: Required<StoredSeries> = { step: [], wall: [], value: [], min: [], max: [] };
  let key = Number.NaN;
  let open: Summary | null = null;
  const close = (b: Summary) => {
    out.step.push(b.last);
    out.wall.push(b.lastWall);
    out.value.push(b.sum / b.n);
    out.min.push(b.min);
    out.max.push(b.max);
  };
  for (const s of summaries) {
    if (open && s.key === key) merge(open, s.summary);
    else {
      if (open) close(open);
      open = { ...s.summary };
      key = s.key;
    }
  }
  if (open) close(open);
  return out;
}
