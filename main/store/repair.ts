import fs from 'node:fs';
import path from 'node:path';
import { listBackups } from './backup.js';
import { databaseFileName, openDatabase } from './database.js';

/**
 * `gan-studio doctor`'s first step: a store file that is damaged (not SQLite, or failing SQLite's
 * own check) or empty (no run, no dataset, while backups exist) is moved aside, never deleted,
 * and the newest backup put in its place. The run folders then rebuild what came after it.
 */

export interface StoreRepair {
  /** What the store file was found to be. */
  found: 'whole' | 'missing' | 'empty' | 'damaged';
  /** Why it counts as damaged, in words. */
  reason: string | null;
  /** Where the old file went (beside studio.db), if it was moved. */
  movedAside: string | null;
  /** The backup put in its place, and when it was made. */
  restoredFrom: { file: string; at: number } | null;
}

function examine(dataDir: string): Pick<StoreRepair, 'found' | 'reason'> {
  if (!fs.existsSync(path.join(dataDir, databaseFileName))) return { found: 'missing', reason: null };
  let conn;
  try {
    conn = openDatabase(dataDir);
  } catch (err) {
    return { found: 'damaged', reason: (err as Error).message };
  }
  try {
    const check = conn.db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') return { found: 'damaged', reason: `SQLite's check failed: ${check}` };
    const count = (table: string) =>
      (conn.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return count('runs') + count('datasets') === 0
      ? { found: 'empty', reason: null }
      : { found: 'whole', reason: null };
  } catch (err) {
    return { found: 'damaged', reason: (err as Error).message };
  } finally {
    conn.close();
  }
}

function stamp(at: number): string {
  return new Date(at).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
}

export function repairStore(dataDir: string, now = Date.now()): StoreRepair {
  const { found, reason } = examine(dataDir);
  const backup = listBackups(dataDir)[0] ?? null;
  const replace = found === 'damaged' || ((found === 'empty' || found === 'missing') && backup !== null);
  if (!replace) return { found, reason, movedAside: null, restoredFrom: null };
  const file = path.join(dataDir, databaseFileName);
  let movedAside: string | null = null;
  if (fs.existsSync(file)) {
    movedAside = `${file}.${found}-${stamp(now)}`;
    fs.renameSync(file, movedAside);
  }
  // Its write-ahead log belongs to the old file; beside a backup it would be replayed into it.
  for (const suffix of ['-wal', '-shm']) {
    if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, `${movedAside ?? file}${suffix}`);
  }
  if (backup) fs.copyFileSync(backup.file, file);
  return { found, reason, movedAside, restoredFrom: backup };
}
