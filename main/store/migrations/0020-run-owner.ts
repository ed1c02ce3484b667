import type { Migration } from './migration.js';

/**
 * Which process trains a run ("host:pid"). Several processes may share a data folder (the app,
 * `serve`, a CLI run); a run is only "interrupted" when the process that owned it is gone.
 */
export const migration0020: Migration = {
  version: 20,
  name: 'run-owner',
  up(db) {
    db.exec('ALTER TABLE runs ADD COLUMN owner TEXT');
  },
};
