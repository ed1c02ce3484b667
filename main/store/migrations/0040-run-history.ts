import type { Migration } from './migration.js';

/**
 * A run's history: when it was created, each training session it started, what each
 * continuation changed, and how each session ended. The run page lists it, the curves mark its
 * continuations, and its sessions turn wall time into training time.
 */
export const migration0040: Migration = {
  version: 40,
  name: 'run-history',
  up(db) {
    db.exec(`
      CREATE TABLE run_events (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        step INTEGER NOT NULL,
        kind TEXT NOT NULL,
        detail_json TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      CREATE INDEX run_events_run ON run_events(run_id, id);
    `);
  },
};
