import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import type { Database as DB, Statement } from 'better-sqlite3';
import { DiskReserve, isDiskFull } from '../common/disk-space.js';
import { FutureSchemaError, latestVersion, migrate } from './migrations/index.js';

export class StoreOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreOpenError';
  }
}

export const databaseFileName = 'studio.db';

/** True for SQLite's word that the store file is damaged (a bad page, a file that is not SQLite). */
export function isStoreDamaged(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}

export const storeDamagedMessage =
  "The studio's store (studio.db) is damaged, so this could not be done. Quit GAN Studio and run " +
  '`gan-studio doctor`: it moves the damaged file aside and rebuilds the store from its backup and the run folders.';

/**
 * better-sqlite3 is a native module: Node and Electron need different builds. `npm start` puts the
 * Electron build at out/native/electron/better_sqlite3.node; plain Node uses the package's own.
 */
function nativeBinding(): string | undefined {
  if (!process.versions['electron']) return undefined;
  const require = createRequire(import.meta.url);
  const pkgRoot = path.dirname(require.resolve('better-sqlite3/package.json'));
  const candidate = path.resolve(pkgRoot, '../../out/native/electron/better_sqlite3.node');
  return fs.existsSync(candidate) ? candidate : undefined;
}

function checkWritableFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.R_OK);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreOpenError(
      `The data folder ${dir} cannot be written (${reason}). ` +
        'Choose a folder you can write to with --data-dir, or fix its permissions.',
    );
  }
}

/** A connection with its prepared statements cached, as statements are reused on hot paths. */
export class Connection {
  readonly db: DB;
  private readonly statements = new Map<string, Statement>();

  constructor(db: DB) {
    this.db = db;
  }

  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Statement<P, R> {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt as unknown as Statement<P, R>;
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}

/**
 * Opens (creating if needed) the studio database in a data folder, in WAL mode, and brings its
 * schema up to date. Refuses, with a message saying what to do, a folder it cannot write and a
 * file that is not SQLite; neither is modified.
 *
 * A full disk does not lock the user out of their runs: WAL needs a shared-memory file (-shm)
 * that cannot be made on a disk with no room left, so the studio's disk reserve is given up
 * for it; failing that, the database is opened in exclusive locking mode, which keeps that index
 * in memory. It is then this process's alone until it closes, which is all `runs list` needs.
 */
export function openDatabase(dataDir: string): Connection {
  checkWritableFolder(dataDir);
  const file = path.join(dataDir, databaseFileName);
  try {
    return openFile(file, false);
  } catch (err) {
    if (!isDiskFull(err)) throw err;
  }
  if (new DiskReserve(dataDir).release()) {
    try {
      return openFile(file, false);
    } catch (err) {
      if (!isDiskFull(err)) throw err;
    }
  }
  console.warn(
    `[store] The disk holding ${dataDir} is full: its database is open to this process only, until it closes. Free space on it.`,
  );
  try {
    return openFile(file, true);
  } catch (err) {
    if (!isDiskFull(err)) throw err;
    throw new StoreOpenError(
      `The disk holding ${dataDir} is full, so its database cannot be opened. Free space on it, then try again.`,
    );
  }
}

function openFile(file: string, exclusive: boolean): Connection {
  let db: DB;
  try {
    const binding = nativeBinding();
    db = new Database(file, binding ? { nativeBinding: binding } : {});
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreOpenError(`Could not open the database ${file}: ${reason}.`);
  }
  try {
    // Set before the first read: it decides whether WAL's index lives in a file or in memory.
    if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
    // Reading the schema is the first access to the file: a non-SQLite file fails here,
    // before WAL is switched on (which would write to it).
    db.pragma('schema_version', { simple: true });
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new StoreOpenError(
        `${file} is not a GAN Studio database (it is not an SQLite file, or it is damaged). It was left ` +
          'untouched. Run `gan-studio doctor` to move it aside and rebuild the store from its backup and the run ' +
          'folders, or choose another data folder with --data-dir.',
      );
    }
    if (isDiskFull(err)) throw err;
    throw new StoreOpenError(`Could not read the database ${file}: ${(err as Error).message}.`);
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > latestVersion) throw new FutureSchemaError(version);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return new Connection(db);
}
