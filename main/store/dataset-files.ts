import type { CropMode } from '../../shared/config.js';
import type { ColorMode, DatasetCache, DatasetFile, SkipReason } from '../../shared/types.js';
import type { Connection } from './database.js';
import type { ScanRow } from './scan-row.js';

interface FileRow {
  id: number;
  rel_path: string;
  bytes: number;
  mtime_ms: number;
  width: number | null;
  height: number | null;
  format: string | null;
  mode: string | null;
  hash: string | null;
  status: string;
  reason: string | null;
  detail: string | null;
}

interface CacheRow {
  key: string;
  resolution: number;
  crop: string;
  flip: number;
  count: number;
  bytes: number;
  file: string;
  created_at: number;
}

export interface StoredFile extends ScanRow {
  id: number;
}

export interface StoredCache extends DatasetCache {
  /** Relative to the data folder. */
  file: string;
}

const columns = 'rel_path, bytes, mtime_ms, width, height, format, mode, hash, status, reason, detail';

function toScanRow(row: FileRow): StoredFile {
  return {
    id: row.id,
    relPath: row.rel_path,
    bytes: row.bytes,
    mtimeMs: row.mtime_ms,
    width: row.width,
    height: row.height,
    format: row.format,
    mode: row.mode as ColorMode | null,
    hash: row.hash,
    status: row.status === 'used' ? 'used' : 'skipped',
    reason: row.reason as SkipReason | null,
    detail: row.detail,
  };
}

function toDatasetFile(row: FileRow): DatasetFile {
  const { id, relPath, bytes, width, height, format, mode, status, reason, detail } = toScanRow(row);
  return { id, relPath, bytes, width, height, format, mode, status, reason, detail };
}

function toCache(row: CacheRow): StoredCache {
  return {
    key: row.key,
    resolution: row.resolution,
    crop: row.crop as CropMode,
    flip: row.flip === 1,
    count: row.count,
    bytes: row.bytes,
    createdAt: row.created_at,
    file: row.file,
  };
}

/**
 * SQL for dataset_files and dataset_caches. Scan rows go first to a TEMP staging table in batches
 * and replace the dataset's rows in one transaction at the end, so a rescan never leaves a
 * half-written file list, and a crash mid-scan leaves nothing behind (TEMP tables die with the
 * connection). File ids are kept for paths that are still there, so the UI's references to a
 * file survive a rescan.
 */
export class DatasetFileStore {
  constructor(private readonly conn: Connection) {
    conn.db.exec(`
      CREATE TEMP TABLE IF NOT EXISTS dataset_scan_rows (
        scan_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
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
        PRIMARY KEY (scan_id, seq)
      )`);
  }

  /** Adds a batch of a running scan's rows to the staging table, in one transaction. */
  stage(scanId: string, firstSeq: number, rows: readonly ScanRow[]): void {
    const insert = this.conn.prepare(
      `INSERT INTO temp.dataset_scan_rows (scan_id, seq, ${columns})
       VALUES (@scanId, @seq, @relPath, @bytes, @mtimeMs, @width, @height, @format, @mode, @hash, @status, @reason, @detail)`,
    );
    this.conn.transaction(() => {
      rows.forEach((row, i) => insert.run({ ...row, scanId, seq: firstSeq + i }));
    });
  }

  discardStage(scanId: string): void {
    this.conn.prepare('DELETE FROM temp.dataset_scan_rows WHERE scan_id = ?').run(scanId);
  }

  /**
   * Makes a scan's staged rows the dataset's file list. Call inside a transaction together with
   * the dataset record's update, so the list and the counts change at once.
   */
  replaceWithStage(datasetId: string, scanId: string): void {
    this.conn
      .prepare(
        `INSERT INTO dataset_files (dataset_id, ${columns})
         SELECT @datasetId, ${columns} FROM temp.dataset_scan_rows WHERE scan_id = @scanId ORDER BY seq
         ON CONFLICT (dataset_id, rel_path) DO UPDATE SET
           bytes = excluded.bytes, mtime_ms = excluded.mtime_ms, width = excluded.width,
           height = excluded.height, format = excluded.format, mode = excluded.mode,
           hash = excluded.hash, status = excluded.status, reason = excluded.reason,
           detail = excluded.detail`,
      )
      .run({ datasetId, scanId });
    this.conn
      .prepare(
        `DELETE FROM dataset_files WHERE dataset_id = @datasetId AND rel_path NOT IN
           (SELECT rel_path FROM temp.dataset_scan_rows WHERE scan_id = @scanId)`,
      )
      .run({ datasetId, scanId });
    this.discardStage(scanId);
  }

  /** The dataset's current rows by path: what a rescan compares against. */
  byPath(datasetId: string): Map<string, ScanRow> {
    const map = new Map<string, ScanRow>();
    const rows = this.conn
      .prepare<[string], FileRow>(`SELECT id, ${columns} FROM dataset_files WHERE dataset_id = ?`)
      .iterate(datasetId);
    for (const row of rows) map.set(row.rel_path, toScanRow(row));
    return map;
  }

  list(
    datasetId: string,
    status: 'all' | 'used' | 'skipped',
    offset: number,
    limit: number,
  ): { total: number; files: DatasetFile[] } {
    const where = status === 'all' ? 'dataset_id = ?' : 'dataset_id = ? AND status = ?';
    const params: string[] = status === 'all' ? [datasetId] : [datasetId, status];
    const total =
      this.conn
        .prepare<string[], { n: number }>(`SELECT COUNT(*) AS n FROM dataset_files WHERE ${where}`)
        .get(...params)?.n ?? 0;
    const files = this.conn
      .prepare<(string | number)[], FileRow>(
        `SELECT id, ${columns} FROM dataset_files WHERE ${where} ORDER BY id LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, offset)
      .map(toDatasetFile);
    return { total, files };
  }

  get(datasetId: string, fileId: number): StoredFile | undefined {
    const row = this.conn
      .prepare<[string, number], FileRow>(
        `SELECT id, ${columns} FROM dataset_files WHERE dataset_id = ? AND id = ?`,
      )
      .get(datasetId, fileId);
    return row ? toScanRow(row) : undefined;
  }

  /**
   * The images a cache is built from, in scan order (the order of the cache's images, whether it is
   * built later or during the scan; the walk visits files in path order).
   */
  usedFiles(datasetId: string): StoredFile[] {
    return this.conn
      .prepare<[string], FileRow>(
        `SELECT id, ${columns} FROM dataset_files WHERE dataset_id = ? AND status = 'used' ORDER BY id`,
      )
      .all(datasetId)
      .map(toScanRow);
  }

  caches(datasetId: string): StoredCache[] {
    return this.conn
      .prepare<[string], CacheRow>(
        'SELECT * FROM dataset_caches WHERE dataset_id = ? ORDER BY created_at DESC',
      )
      .all(datasetId)
      .map(toCache);
  }

  cache(datasetId: string, key: string): StoredCache | undefined {
    const row = this.conn
      .prepare<[string, string], CacheRow>('SELECT * FROM dataset_caches WHERE dataset_id = ? AND key = ?')
      .get(datasetId, key);
    return row ? toCache(row) : undefined;
  }

  putCache(datasetId: string, cache: StoredCache): void {
    this.conn
      .prepare(
        `INSERT OR REPLACE INTO dataset_caches (dataset_id, key, resolution, crop, flip, count, bytes, file, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        datasetId,
        cache.key,
        cache.resolution,
        cache.crop,
        cache.flip ? 1 : 0,
        cache.count,
        cache.bytes,
        cache.file,
        cache.createdAt,
      );
  }

  deleteCache(datasetId: string, key: string): void {
    this.conn.prepare('DELETE FROM dataset_caches WHERE dataset_id = ? AND key = ?').run(datasetId, key);
  }
}
