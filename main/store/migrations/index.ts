import type { Database } from 'better-sqlite3';
import { migration0010 } from './0010-initial.js';
import { migration0020 } from './0020-run-owner.js';
import { migration0030 } from './0030-run-threads.js';
import { migration0040 } from './0040-run-history.js';
import { migration0050 } from './0050-metric-blocks.js';
import { migration0060 } from './0060-scan-owner.js';
import type { Migration } from './migration.js';

/** Versions only ever increase; numbered with gaps so a fix can slot in between. */
export const migrations: readonly Migration[] = [
  migration0010,
  migration0020,
  migration0030,
  migration0040,
  migration0050,
  migration0060,
];

export const latestVersion = migrations[migrations.length - 1]?.version ?? 0;

export class FutureSchemaError extends Error {
  constructor(found: number) {
    super(
      `This data folder was written by a newer GAN Studio (database version ${found}, this app knows up to ${latestVersion}). ` +
        'Update GAN Studio, or choose another data folder with --data-dir. Nothing was changed.',
    );
    this.name = 'FutureSchemaError';
  }
}

/**
 * Runs every migration newer than the database, each in its own transaction. Each takes the
 * write lock first (BEGIN IMMEDIATE) and reads the version again under it: two processes opening
 * a new data folder at once would otherwise both run the same migration, and one would fail
 * ("table datasets already exists").
 */
export function migrate(db: Database): { from: number; to: number } {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  const from = version();
  if (from > latestVersion) throw new FutureSchemaError(from);
  for (const m of migrations) {
    if (m.version <= from) continue;
    db.transaction(() => {
      if (m.version <= version()) return; // another process ran it meanwhile
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: Math.max(from, latestVersion) };
}
