import type { Database } from 'better-sqlite3';
import type { Migration } from './migration.js';

/**
 * Block widths in steps, each 8 times the last. The table's format: main/store/metrics.ts keeps
 * and reads blocks of exactly these widths.
 */
export const blockWidths = [8, 64, 512, 4096, 32768] as const;

/**
 * The narrowest blocks a run keeps: twice its metrics interval at least, so each holds two points
 * or more. Blocks of single points would double the store of a run that records every 10 steps
 * and save no reading: its charts read from the wider blocks or, for short runs, the rows.
 */
export function finestBlockWidth(metricsEvery: number): number {
  return blockWidths.find((w) => w >= 2 * metricsEvery) ?? blockWidths[blockWidths.length - 1]!;
}

interface Block {
  n: number;
  sum: number;
  min: number;
  minStep: number;
  max: number;
  first: number;
  last: number;
  lastWall: number;
}

/**
 * Summaries of the metrics in blocks of steps at five widths, kept beside the rows. Reading a
 * million rows to draw a chart takes seconds in SQLite; reading their blocks takes milliseconds,
 * so a long run opens its charts as fast as a short one. Existing metrics are summarised here,
 * once, in one ordered pass over the (run, name, step) index.
 */
export const migration0050: Migration = {
  version: 50,
  name: 'metric-blocks',
  up(db) {
    db.exec(`
      CREATE TABLE metric_blocks (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        width INTEGER NOT NULL,
        block INTEGER NOT NULL,
        n INTEGER NOT NULL,
        sum REAL NOT NULL,
        min REAL NOT NULL,
        min_step INTEGER NOT NULL,
        max REAL NOT NULL,
        first_step INTEGER NOT NULL,
        last_step INTEGER NOT NULL,
        last_wall REAL NOT NULL,
        PRIMARY KEY (run_id, width, name, block)
      ) STRICT, WITHOUT ROWID;
    `);
    backfill(db);
  },
};

function backfill(db: Database): void {
  const insert = db.prepare(
    `INSERT INTO metric_blocks (run_id, name, width, block, n, sum, min, min_step, max, first_step, last_step, last_wall)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const series = db
    .prepare(
      `SELECT DISTINCT m.run_id, m.name, json_extract(r.config_json, '$.metricsEvery')
       FROM metrics m JOIN runs r ON r.id = m.run_id`,
    )
    .raw()
    .all() as [string, string, number | null][];
  const rowsOf = db
    .prepare('SELECT step, wall_time, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step')
    .raw();
  // One series at a time: a connection cannot write while it iterates, and one series fits in memory.
  for (const [run, name, every] of series) {
    const rows = rowsOf.all(run, name) as [number, number, number][];
    // Runs stored before metricsEvery had a default recorded it as 10.
    const finest = finestBlockWidth(every ?? 10);
    for (const width of blockWidths.filter((w) => w >= finest)) {
      let b: (Block & { block: number }) | null = null;
      const flush = (done: Block & { block: number }) =>
        insert.run(
          run,
          name,
          width,
          done.block,
          done.n,
          done.sum,
          done.min,
          done.minStep,
          done.max,
          done.first,
          done.last,
          done.lastWall,
        );
      for (const [step, wall, value] of rows) {
        const block = Math.floor(step / width);
        if (b && b.block === block) {
          b.n++;
          b.sum += value;
          if (value < b.min) {
            b.min = value;
            b.minStep = step;
          }
          b.max = Math.max(b.max, value);
          b.last = step;
          b.lastWall = wall;
          continue;
        }
        if (b) flush(b);
        b = {
          block,
          n: 1,
          sum: value,
          min: value,
          minStep: step,
          max: value,
          first: step,
          last: step,
          lastWall: wall,
        };
      }
      if (b) flush(b);
    }
  }
}
