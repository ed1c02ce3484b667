import fs from 'node:fs';
import path from 'node:path';
import { dataPaths } from '../common/paths.js';
import type { Connection } from './database.js';

/**
 * Rolling backups of the store, made with SQLite's online backup while the studio runs: one when
 * the studio opens a data folder whose newest backup is a day old (or that has none), the newest
 * few kept. `gan-studio doctor` restores the newest when studio.db is lost or damaged, then
 * rebuilds from the run folders what came after it.
 */

/** Backups kept: a few days of a studio opened daily. */
const kept = 5;
const dayMs = 24 * 60 * 60 * 1000;
const pattern = /^studio-(\d{8}-\d{6})\.db$/;

/** The backups, newest first. */
export function listBackups(dataDir: string): { file: string; at: number }[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dataPaths.backups(dataDir));
  } catch {
    return [];
  }
  return names
    .filter((n) => pattern.test(n))
    .map((n) => {
      const file = path.join(dataPaths.backups(dataDir), n);
      return { file, at: fs.statSync(file).mtimeMs };
    })
    .sort((a, b) => b.at - a.at);
}

function stamp(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/**
 * Backs the store up if the newest backup is older than a day, removing the oldest beyond the
 * few kept. Resolves with the new backup's path, or null when none was due. The copy is made
 * page by page while the store stays usable (better-sqlite3's `backup`), written under a
 * temporary name and renamed, so a backup folder never holds half a backup.
 */
export async function backUpIfDue(
  conn: Connection,
  dataDir: string,
  now = new Date(),
): Promise<string | null> {
  const newest = listBackups(dataDir)[0];
  if (newest && now.getTime() - newest.at < dayMs) return null;
  const folder = dataPaths.backups(dataDir);
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `studio-${stamp(now)}.db`);
  const temp = `${file}.partial`;
  await conn.db.backup(temp);
  fs.renameSync(temp, file);
  for (const old of listBackups(dataDir).slice(kept)) fs.rmSync(old.file, { force: true });
  return file;
}
