import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase, StoreOpenError } from '../../main/store/database.js';
import { latestVersion, migrations } from '../../main/store/migrations/index.js';
import type { Migration } from '../../main/store/migrations/migration.js';
import { migration0010 } from '../../main/store/migrations/0010-initial.js';
import { migration0030 } from '../../main/store/migrations/0030-run-threads.js';
import { migration0040 } from '../../main/store/migrations/0040-run-history.js';
import { RunStore } from '../../main/store/runs.js';
import { defaultTrainConfig } from '../../shared/config.js';
import { tempDir } from '../helpers/temp.js';

/** The studio.db in dir as a release whose newest migration was `last` wrote it; open, to add rows. */
function databaseAt(dir: string, last: Migration): Database.Database {
  const raw = new Database(path.join(dir, 'studio.db'));
  for (const m of migrations) if (m.version <= last.version) m.up(raw);
  raw.pragma(`user_version = ${last.version}`);
  return raw;
}

/** A data folder as that release left it, with one paused run in its store. */
function folderWithOldRun(last: Migration): string {
  const dir = tempDir();
  const raw = databaseAt(dir, last);
  raw
    .prepare(
      `INSERT INTO runs (id, name, status, config_json, total_steps, created_at, updated_at)
       VALUES ('run-old', 'old run', 'paused', '{}', 100, 1, 1)`,
    )
    .run();
  raw.close();
  return dir;
}

describe('openDatabase', () => {
  it('creates every table from an empty folder, in WAL mode, at the latest version', () => {
    const dir = tempDir();
    const conn = openDatabase(dir);
    const tables = conn.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(
      expect.arrayContaining([
        'checkpoints',
        'dataset_caches',
        'dataset_files',
        'datasets',
        'metrics',
        'runs',
        'samples',
      ]),
    );
    expect(conn.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(conn.db.pragma('user_version', { simple: true })).toBe(latestVersion);
    expect(conn.db.pragma('foreign_keys', { simple: true })).toBe(1);
    conn.close();
  });

  it('re-opens an existing database without migrating again or losing rows', () => {
    const dir = tempDir();
    const first = openDatabase(dir);
    first.db
      .prepare(
        "INSERT INTO datasets (id, name, path, status, created_at, updated_at) VALUES ('d1', 'n', '/x', 'ready', 1, 1)",
      )
      .run();
    first.close();
    const second = openDatabase(dir);
    expect(second.db.prepare('SELECT COUNT(*) FROM datasets').pluck().get()).toBe(1);
    expect(second.db.pragma('user_version', { simple: true })).toBe(latestVersion);
    second.close();
  });

  it('refuses a database written by a newer version, without changing it', () => {
    const dir = tempDir();
    const raw = new Database(path.join(dir, 'studio.db'));
    raw.pragma(`user_version = ${latestVersion + 1000}`);
    raw.close();
    const before = fs.readFileSync(path.join(dir, 'studio.db'));
    expect(() => openDatabase(dir)).toThrow(/newer GAN Studio/);
    expect(fs.readFileSync(path.join(dir, 'studio.db')).equals(before)).toBe(true);
  });

  it('refuses a file that is not SQLite and leaves it untouched', () => {
    const dir = tempDir();
    const file = path.join(dir, 'studio.db');
    const content = 'these are my notes, not a database\n'.repeat(200);
    fs.writeFileSync(file, content);
    expect(() => openDatabase(dir)).toThrow(StoreOpenError);
    expect(() => openDatabase(dir)).toThrow(/not an SQLite file.*left untouched/);
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('explains a data folder that cannot be written', () => {
    const dir = tempDir();
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'x');
    // A folder below a regular file can never be created, whoever runs the test (root included).
    expect(() => openDatabase(path.join(blocker, 'data'))).toThrow(/cannot be written.*--data-dir/);
  });

  it('migration 20 adds run owners and keeps the runs written at version 10', () => {
    const conn = openDatabase(folderWithOldRun(migration0010));
    expect(conn.db.prepare("SELECT name, status, owner FROM runs WHERE id = 'run-old'").get()).toEqual({
      name: 'old run',
      status: 'paused',
      owner: null,
    });
    expect(conn.db.pragma('user_version', { simple: true })).toBe(latestVersion);
    conn.close();
  });

  it('migration 40 gives runs a history that goes with the run', () => {
    const conn = openDatabase(folderWithOldRun(migration0030));
    const runs = new RunStore(conn);
    expect(runs.history('run-old')).toEqual([]);
    runs.addEvent('run-old', { kind: 'continued', step: 40, at: 5, fromStep: 40, changes: [] });
    expect(runs.history('run-old')).toEqual([
      { kind: 'continued', step: 40, at: 5, fromStep: 40, changes: [] },
    ]);
    runs.delete('run-old');
    expect(conn.db.prepare('SELECT COUNT(*) FROM run_events').pluck().get()).toBe(0);
    conn.close();
  });

  it('migration 50 summarises the metrics already stored exactly as new writes are summarised', () => {
    const dir = tempDir();
    const raw = databaseAt(dir, migration0040);
    const insertRun = raw.prepare(
      `INSERT INTO runs (id, name, status, config_json, total_steps, created_at, updated_at)
       VALUES (?, ?, 'finished', '{"metricsEvery":1}', 100, 1, 1)`,
    );
    insertRun.run('run-old', 'old run');
    const insert = raw.prepare(
      'INSERT INTO metrics (run_id, step, wall_time, name, value) VALUES (?, ?, ?, ?, ?)',
    );
    const rows = Array.from({ length: 9000 }, (_, i) => ({
      step: (i + 1) * 5,
      wallTime: 1000 + i,
      values: { dLoss: Math.cos(i / 50) + (i % 7) / 10, gLoss: (i * 31) % 17 },
    }));
    raw.transaction(() => {
      for (const row of rows) {
        for (const [name, value] of Object.entries(row.values))
          insert.run('run-old', row.step, row.wallTime, name, value);
      }
    })();
    raw.close();

    const conn = openDatabase(dir);
    const runs = new RunStore(conn);
    const fresh = runs.create({
      name: 'new',
      datasetId: null,
      config: { ...defaultTrainConfig, metricsEvery: 1 },
    });
    runs.insertMetrics(fresh.id, rows);
    const blocks = (id: string) =>
      conn.db
        .prepare(
          `SELECT name, width, block, n, ROUND(sum, 6) AS sum, min, min_step, max, first_step, last_step, last_wall
           FROM metric_blocks WHERE run_id = ? ORDER BY width, name, block`,
        )
        .all(id);
    // Its config's metrics interval (1) decides the narrowest blocks (8 steps), as for new runs.
    expect(blocks('run-old').length).toBeGreaterThan(2000);
    expect(blocks('run-old')[0]).toMatchObject({ width: 8 });
    expect(blocks('run-old')).toEqual(blocks(fresh.id));
    expect(runs.metricStore.read(['run-old'], ['dLoss'], 500).runs[0]!.metrics['dLoss']).toEqual(
      runs.metricStore.read([fresh.id], ['dLoss'], 500).runs[0]!.metrics['dLoss'],
    );
    conn.close();
  });
});
