import { trainConfigSchema, type BackendName, type TrainConfig } from '../../shared/config.js';
import type {
  BackendStatus,
  CheckpointInfo,
  MetricSeries,
  RunEvent,
  RunEventKind,
  RunStatus,
  RunSummary,
} from '../../shared/types.js';
import { ApiError } from '../../shared/errors.js';
import type { Connection } from './database.js';
import { newId } from './ids.js';
import { MetricStore, type MetricRow } from './metrics.js';

export type { MetricRow } from './metrics.js';

interface RunRow {
  id: string;
  name: string;
  dataset_id: string | null;
  dataset_name: string | null;
  dataset_path: string | null;
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
  last_d_loss: number | null;
  last_g_loss: number | null;
}

export interface RunRecord extends RunSummary {
  config: TrainConfig;
  backendNotes: BackendStatus[];
  /** The process training it ("host:pid"), while it trains. */
  owner: string | null;
  /** Its dataset's folder (what a rebuilt store finds the dataset by). */
  datasetPath: string | null;
}

// The last losses are one index seek each on metrics(run_id, name, step).
const selectRun = `
  SELECT r.*, d.name AS dataset_name, d.path AS dataset_path,
    (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.name = 'dLoss' ORDER BY m.step DESC LIMIT 1)
      AS last_d_loss,
    (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.name = 'gLoss' ORDER BY m.step DESC LIMIT 1)
      AS last_g_loss
  FROM runs r LEFT JOIN datasets d ON d.id = r.dataset_id`;

/** Stored configs as parsed, by their JSON: many reads of a run parse its config once. */
const parsedConfigs = new Map<string, TrainConfig>();
const maxParsedConfigs = 512;

/**
 * A stored config read back: parsed against the schema, so a run stored before a field existed
 * gets its default. The result is shared by every read of the same JSON, so it is frozen.
 */
function storedConfig(json: string): TrainConfig {
  let config = parsedConfigs.get(json);
  if (!config) {
    config = trainConfigSchema.parse(JSON.parse(json));
    Object.freeze(config.augmentPolicy);
    Object.freeze(config);
    if (parsedConfigs.size >= maxParsedConfigs) parsedConfigs.delete(parsedConfigs.keys().next().value!);
    parsedConfigs.set(json, config);
  }
  return config;
}

function toRecord(row: RunRow): RunRecord {
  const config = storedConfig(row.config_json);
  return {
    id: row.id,
    name: row.name,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    datasetPath: row.dataset_path,
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
    loss: config.loss,
    lrG: config.lrG,
    lrD: config.lrD,
    batchSize: config.batchSize,
    lastDLoss: row.last_d_loss,
    lastGLoss: row.last_g_loss,
    config,
    backendNotes: JSON.parse(row.backend_notes_json) as BackendStatus[],
    owner: row.owner,
  };
}

/** A stored checkpoint as the API shows it: its file stays in main. */
export function toCheckpointInfo({ step, createdAt, starred }: CheckpointInfo): CheckpointInfo {
  return { step, createdAt, starred };
}

export function toSummary(record: RunRecord): RunSummary {
  const { config: _config, backendNotes: _notes, owner: _owner, datasetPath: _path, ...summary } = record;
  return summary;
}

export interface NewRun {
  name: string;
  datasetId: string | null;
  config: TrainConfig;
  status?: RunStatus;
  /** The process that will train it: set from the start, so no other process takes it for stale. */
  owner?: string | null;
}

interface EventRow {
  at: number;
  step: number;
  kind: string;
  detail_json: string;
}

export class RunStore {
  readonly metricStore: MetricStore;

  constructor(private readonly conn: Connection) {
    this.metricStore = new MetricStore(conn);
  }

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

  /** The run, or the API's answer for one that is gone (`field` names the input that named it). */
  require(id: string, field = 'id'): RunRecord {
    const run = this.get(id);
    if (!run) {
      throw new ApiError(
        'not_found',
        `There is no run "${id}". It may have been deleted; refresh the runs list.`,
        field,
      );
    }
    return run;
  }

  /** How many runs were started on the dataset (a new run's default name numbers it). */
  countOnDataset(datasetId: string): number {
    return this.conn
      .prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM runs WHERE dataset_id = ?')
      .get(datasetId)!.n;
  }

  /** Runs whose row changed after `ms` (a step saved, a status, a rename), oldest change first. */
  changedSince(ms: number): RunRecord[] {
    return this.conn
      .prepare<[number], RunRow>(`${selectRun} WHERE r.updated_at > ? ORDER BY r.updated_at`)
      .all(ms)
      .map(toRecord);
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

  /**
   * A run rebuilt from its folder (training/host/recovery.ts) under its own id, as it was: the
   * samples, checkpoints and metrics are added after with the usual writes.
   */
  restore(run: {
    id: string;
    name: string;
    datasetId: string | null;
    status: RunStatus;
    config: TrainConfig;
    step: number;
    trainSeconds: number;
    tags: string[];
    notes: string;
    backend: BackendName | null;
    createdAt: number;
    history: RunEvent[];
  }): void {
    this.conn.transaction(() => {
      this.conn
        .prepare(
          `INSERT INTO runs (id, name, dataset_id, status, config_json, total_steps, step, train_seconds, tags_json,
             notes, backend, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          run.id,
          run.name,
          run.datasetId,
          run.status,
          JSON.stringify(run.config),
          run.config.steps,
          run.step,
          run.trainSeconds,
          JSON.stringify(run.tags),
          run.notes,
          run.backend,
          run.createdAt,
          Date.now(),
        );
      for (const event of run.history) this.addEvent(run.id, event);
    });
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
    if (patch.config !== undefined) {
      columns['config_json'] = JSON.stringify(patch.config);
      columns['total_steps'] = patch.config.steps;
    }
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
  markInterrupted(
    isAlive: (owner: string, heartbeatAt: number) => boolean,
    onMarked?: (id: string) => void,
  ): number {
    const stale = this.conn
      .prepare<[], { id: string; owner: string | null; step: number; updated_at: number }>(
        `SELECT id, owner, step, updated_at FROM runs WHERE status IN ('running', 'queued')`,
      )
      .all()
      .filter((r) => r.owner === null || !isAlive(r.owner, r.updated_at));
    const mark = this.conn.prepare(
      `UPDATE runs SET status = 'interrupted', owner = NULL, updated_at = ? WHERE id = ?`,
    );
    this.conn.transaction(() =>
      stale.forEach((r) => {
        mark.run(Date.now(), r.id);
        this.addEvent(r.id, { kind: 'interrupted', step: r.step });
      }),
    );
    for (const r of stale) onMarked?.(r.id);
    return stale.length;
  }

  /**
   * The heartbeat of runs a process trains: their rows say they were touched just now, so other
   * processes can tell a live owner from one that died (or whose pid was reused).
   */
  touch(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const touch = this.conn.prepare(
      `UPDATE runs SET updated_at = ? WHERE id = ? AND status IN ('running', 'queued')`,
    );
    const now = Date.now();
    this.conn.transaction(() => ids.forEach((id) => touch.run(now, id)));
  }

  /** Appends to a run's history; `at` defaults to now. */
  addEvent(runId: string, event: Omit<RunEvent, 'at'> & { at?: number }): void {
    const { kind, step, at, ...detail } = event;
    this.conn
      .prepare('INSERT INTO run_events (run_id, at, step, kind, detail_json) VALUES (?, ?, ?, ?, ?)')
      .run(runId, at ?? Date.now(), step, kind, JSON.stringify(detail));
  }

  /** A run's history, oldest first. */
  history(runId: string): RunEvent[] {
    return this.conn
      .prepare<[string], EventRow>(
        'SELECT at, step, kind, detail_json FROM run_events WHERE run_id = ? ORDER BY id',
      )
      .all(runId)
      .map((row) => ({
        ...(JSON.parse(row.detail_json) as Omit<RunEvent, 'at' | 'step' | 'kind'>),
        kind: row.kind as RunEventKind,
        at: row.at,
        step: row.step,
      }));
  }

  /** Writes many metric points (and their block summaries) in one transaction. */
  insertMetrics(runId: string, rows: readonly MetricRow[]): void {
    this.metricStore.insert(runId, rows);
  }

  /** Drops metrics and samples past a step: a resumed run rewinds to its checkpoint and writes them again. */
  truncateAfter(runId: string, step: number): void {
    this.conn.transaction(() => {
      this.metricStore.truncateAfter(runId, step);
      this.conn.prepare('DELETE FROM samples WHERE run_id = ? AND step > ?').run(runId, step);
    });
  }

  /**
   * A run's metric series as points: every point when a series has at most maxPoints, else the
   * means of buckets of steps (see MetricStore.read).
   */
  metrics(runId: string, names: readonly string[] | undefined, maxPoints: number): MetricSeries {
    const [run] = this.metricStore.read([runId], names, maxPoints).runs;
    const series: MetricSeries = {};
    for (const [name, { step, value }] of Object.entries(run?.metrics ?? {})) {
      series[name] = step.map((s, i) => ({ step: s, value: value[i]! }));
    }
    return series;
  }

  /** The newest rows past a step (at most `limit` steps of each metric), in step order. */
  metricsAfter(runId: string, step: number, limit: number): MetricRow[] {
    return this.metricStore.after(runId, step, limit);
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
