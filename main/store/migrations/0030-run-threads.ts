import type { Migration } from './migration.js';

/** The CPU threads a wasm run trained on, so the run shows how it was trained. */
export const migration0030: Migration = {
  version: 30,
  name: 'run-threads',
  up(db) {
    db.exec('ALTER TABLE runs ADD COLUMN threads INTEGER');
  },
};
