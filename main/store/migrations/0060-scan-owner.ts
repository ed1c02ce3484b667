import type { Migration } from './migration.js';

/**
 * Which process scans a dataset ("host:pid", while its status is 'scanning'). Several processes
 * may share a data folder: a scan is only "interrupted" when the process that owned it is gone,
 * never because another process opened the folder meanwhile.
 */
export const migration0060: Migration = {
  version: 60,
  name: 'scan-owner',
  up(db) {
    db.exec('ALTER TABLE datasets ADD COLUMN scan_owner TEXT');
  },
};
