import { trainConfigSchema, type BackendName, type TrainConfig } from '../../shared/config.js';
import type { BackendStatus, MetricSeries, RunStatus, RunSummary } from '../../shared/types.js';
import type { Connection } from './database.js';
import { newId } from './ids.js';

interface RunRow {
  id: string;
  name: string;
  dataset_id: string | null;
  dataset_name: string | null;
  status: string;
  backend: string | null;
  backend_notes_json: string;
  config_json: string;
  tags_json: string;
  notes: string;
  step: number;
  total_steps: number;
  train_seconds: number;
  error: string | null;
  owner: string | null;
  threads: number | null;
  created_at: number;
  updated_at: number;
}

export interface RunRecord extends RunSummary {
  config: TrainConfig;
  backendNotes: BackendStatus[];
  /** The process training it ("host:pid"), while it trains. */
  owner: string | null;
}

const selectRun = `
  SELECT r.*, d.name AS dataset_name FROM runs r LEFT JOIN datasets d ON d.id = r.dataset_id`;

function toRecord(row: RunRow): RunRecord {
  const config = trainConfigSchema.parse(JSON.parse(row.config_json));
  return {
    id: row.id,
    name: row.name,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    status: row.status as RunStatus,
    backend: row.backend as BackendName | null,
    threads: row.threads,
    step: row.step,
    totalSteps: row.total_steps,
    resolution: config.resolution,
    tags: JSON.parse(row.tags_json) as string[],
    notes: row.notes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    trainSeconds: row.train_seconds,
    error: row.error,
    config,
    backendNotes: JSON.parse(row.backend_notes_json) as BackendStatus[],
    owner: row.owner,
  };
}

export function toSummary(record: RunRecord): RunSummary {
  const { config: _config, backendNotes: _notes, owner: _owner, ...summary } = record;
  return summary;
}

type MetricPointRow = { step: number; value: number };

export interface NewRun {
  name: string;
  datasetId: string | null;
  config: TrainConfig;
  status?: RunStatus;
  /** The process that will train it: set from the start, so no other process takes it for stale. */
  owner?: string | null;
}

export interface MetricRow {
  step: number;
  wallTime: number;
  values: Record<string, number>;
}

export class RunStore {
  constructor(private readonly conn: Connection) {}

  list(filter: { status?: string } = {}): RunRecord[] {
    const rows = filter.status
      ? this.conn
          .prepare<[string], RunRow>(`${selectRun} WHERE r.status = ? ORDER BY r.created_at DESC`)
          .all(filter.status)
      : this.conn.prepare<[], RunRow>(`${selectRun} ORDER BY r.created_at DESC`).all();
    return rows.map(toRecord);
  }

  get(id: string): RunRecord | undefined {
    const row = this.conn.prepare<[string], RunRow>(`${selectRun} WHERE r.id = ?`).get(id);
    return row ? toRecord(row) : undefined;
  }

  create(run: NewRun): RunRecord {
    const id = newId('run-');
    const now = Date.now();
    this.conn
      .prepare(
        `INSERT INTO runs (id, name, dataset_id, status, config_json, total_steps, owner, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        run.name,
        run.datasetId,
        run.status ?? 'queued',
        JSON.stringify(run.config),
        run.config.steps,
        run.owner ?? null,
        now,
        now,
      );
    return this.get(id)!;
  }

  update(
    id: string,
    patch: Partial<{
      name: string;
      tags: string[];
      notes: string;
      status: RunStatus;
      backend: BackendName;
      backendNotes: BackendStatus[];
      step: number;
      error: string | null;
      trainSeconds: number;
      config: TrainConfig;
      owner: string | null;
      threads: number | null;
    }>,
  ): RunRecord | undefined {
    const columns: Record<string, string | number | null> = {};
    if (patch.name !== undefined) columns['name'] = patch.name;
    if (patch.tags !== undefined) columns['tags_json'] = JSON.stringify(patch.tags);
    if (patch.notes !== undefined) columns['notes'] = patch.notes;
    if (patch.status !== undefined) columns['status'] = patch.status;
    if (patch.backend !== undefined) columns['backend'] = patch.backend;
    if (patch.backendNotes !== undefined) columns['backend_notes_json'] = JSON.stringify(patch.backendNotes);
    if (patch.step !== undefined) columns['step'] = patch.step;
    if (patch.error !== undefined) columns['error'] = patch.error;
    if (patch.trainSeconds !== undefined) columns['train_seconds'] = patch.trainSeconds;
    if (patch.config !== undefined) columns['config_json'] = JSON.stringify(patch.config);
    if (patch.owner !== undefined) columns['owner'] = patch.owner;
    if (patch.threads !== undefined) columns['threads'] = patch.threads;
    columns['updated_at'] = Date.now();
    const names = Object.keys(columns);
    const sql = `UPDATE runs SET ${names.map((n) => `${n} = @${n}`).join(', ')} WHERE id = @id`;
    const result = this.conn.prepare(sql).run({ ...columns, id });
    return result.changes > 0 ? this.get(id) : undefined;
  }

  delete(id: string): boolean {
    return this.conn.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0;
  }

  /**
   * Marks runs left 'running' or 'queued' by a process that died as interrupted, so the user can
   * resume them. Runs that another live process is training are left alone.
   */
  markInterrupted(isAlive: (owner: string) => boolean): number {
    const stale = this.conn
      .prepare<[], { id: string; owner: string | null }>(
        `SELECT id, owner FROM runs WHERE status IN ('running', 'queued')`,
      )
      .all()
      .filter((r) => r.owner === null || !isAlive(r.owner));
    const mark = this.conn.prepare(
      `UPDATE runs SET status = 'interrupted', owner = NULL, updated_at = ? WHERE id = ?`,
    );
    this.conn.transaction(() => stale.forEach((r) => mark.run(Date.now(), r.id)));
    return stale.length;
  }

  /** Writes many metric points in one transaction: one fsync instead of thousands. */
  insertMetrics(runId: string, rows: readonly MetricRow[]): void {
    if (rows.length === 0) return;
    const insert = this.conn.prepare(
      'INSERT INTO metrics (run_id, step, wall_time, name, value) VALUES (?, ?, ?, ?, ?)',
    );
    this.conn.transaction(() => {
      for (const row of rows) {
        for (const [name, value] of Object.entries(row.values)) {
          // SQLite stores NaN as NULL, which the schema refuses; a non-finite loss is reported
          // through the run's status instead.
          if (Number.isFinite(value)) insert.run(runId, row.step, row.wallTime, name, value);
        }
      }
    });
  }

  /** Drops metrics past a step: a resumed run rewinds to its checkpoint and writes them again. */
  truncateAfter(runId: string, step: number): void {
    this.conn.transaction(() => {
      this.conn.prepare('DELETE FROM metrics WHERE run_id = ? AND step > ?').run(runId, step);
      this.conn.prepare('DELETE FROM samples WHERE run_id = ? AND step > ?').run(runId, step);
    });
  }

  /**
   * Reads metric series, averaging buckets of consecutive points when a series is longer than
   * maxPoints, so a run with millions of rows still opens its charts quickly.
   */
  metrics(runId: string, names: readonly string[] | undefined, maxPoints: number): MetricSeries {
    const available = this.conn
      .prepare<[string], { name: string; n: number; lo: number; hi: number }>(
        'SELECT name, COUNT(*) AS n, MIN(step) AS lo, MAX(step) AS hi FROM metrics WHERE run_id = ? GROUP BY name',
      )
      .all(runId);
    const series: MetricSeries = {};
    for (const { name, n, lo, hi } of available) {
      if (names && !names.includes(name)) continue;
      if (n <= maxPoints) {
        series[name] = this.conn
          .prepare<[string, string], MetricPointRow>(
            'SELECT step, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step',
          )
          .all(runId, name);
      } else {
        const bucket = Math.max(1, Math.ceil((hi - lo + 1) / maxPoints));
        series[name] = this.conn
          .prepare<[{ run: string; name: string; lo: number; bucket: number }], MetricPointRow>(
            `SELECT MAX(step) AS step, AVG(value) AS value FROM metrics
             WHERE run_id = @run AND name = @name GROUP BY CAST((step - @lo) / @bucket AS INTEGER) ORDER BY step`,
          )
          .all({ run: runId, name, lo, bucket });
      }
    }
    return series;
  }

  addSample(runId: string, step: number, file: string): void {
    this.conn
      .prepare('INSERT OR REPLACE INTO samples (run_id, step, file, created_at) VALUES (?, ?, ?, ?)')
      .run(runId, step, file, Date.now());
  }

  samples(runId: string): { step: number; file: string }[] {
    return this.conn
      .prepare<[string], { step: number; file: string }>(
        'SELECT step, file FROM samples WHERE run_id = ? ORDER BY step',
      )
      .all(runId);
  }

  addCheckpoint(runId: string, step: number, file: string): void {
    this.conn
      .prepare(
        `INSERT INTO checkpoints (run_id, step, file, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (run_id, step) DO UPDATE SET file = excluded.file, created_at = excluded.created_at`,
      )
      .run(runId, step, file, Date.now());
  }

  checkpoints(runId: string): { step: number; file: string; starred: boolean; createdAt: number }[] {
    return this.conn
      .prepare<[string], { step: number; file: string; starred: number; created_at: number }>(
        'SELECT step, file, starred, created_at FROM checkpoints WHERE run_id = ? ORDER BY step',
      )
      .all(runId)
      .map((r) => ({ step: r.step, file: r.file, starred: r.starred === 1, createdAt: r.created_at }));
  }

  /** Starred checkpoints are kept whatever keepCheckpoints says. */
  setStarred(runId: string, step: number, starred: boolean): boolean {
    return (
      this.conn
        .prepare('UPDATE checkpoints SET starred = ? WHERE run_id = ? AND step = ?')
        .run(starred ? 1 : 0, runId, step).changes > 0
    );
  }

  removeCheckpoint(runId: string, step: number): void {
    this.conn.prepare('DELETE FROM checkpoints WHERE run_id = ? AND step = ?').run(runId, step);
  }
}
