import type { Migration } from './migration.js';

export const migration0010: Migration = {
  version: 10,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE datasets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        path TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        image_count INTEGER NOT NULL DEFAULT 0,
        skipped_count INTEGER NOT NULL DEFAULT 0,
        duplicate_count INTEGER NOT NULL DEFAULT 0,
        min_size INTEGER NOT NULL DEFAULT 16,
        report_json TEXT,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE dataset_files (
        id INTEGER PRIMARY KEY,
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        rel_path TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        width INTEGER,
        height INTEGER,
        format TEXT,
        mode TEXT,
        hash TEXT,
        status TEXT NOT NULL,
        reason TEXT,
        detail TEXT,
        UNIQUE (dataset_id, rel_path)
      ) STRICT;
      CREATE INDEX dataset_files_status ON dataset_files(dataset_id, status, id);

      CREATE TABLE dataset_caches (
        dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        resolution INTEGER NOT NULL,
        crop TEXT NOT NULL,
        flip INTEGER NOT NULL,
        count INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        file TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (dataset_id, key)
      ) STRICT;

      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        dataset_id TEXT REFERENCES datasets(id) ON DELETE SET NULL,
        status TEXT NOT NULL,
        backend TEXT,
        backend_notes_json TEXT NOT NULL DEFAULT '[]',
        config_json TEXT NOT NULL,
        tags_json TEXT NOT NULL DEFAULT '[]',
        notes TEXT NOT NULL DEFAULT '',
        step INTEGER NOT NULL DEFAULT 0,
        total_steps INTEGER NOT NULL,
        train_seconds REAL NOT NULL DEFAULT 0,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX runs_created ON runs(created_at);

      CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        wall_time REAL NOT NULL,
        name TEXT NOT NULL,
        value REAL NOT NULL
      ) STRICT;
      CREATE INDEX metrics_run_name_step ON metrics(run_id, name, step);

      CREATE TABLE samples (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        file TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, step)
      ) STRICT;

      CREATE TABLE checkpoints (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        file TEXT NOT NULL,
        starred INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, step)
      ) STRICT;
    `);
  },
};
