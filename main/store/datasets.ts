import type { DatasetReport, DatasetStatus, DatasetSummary } from '../../shared/types.js';
import type { Connection } from './database.js';
import { newId } from './ids.js';

interface DatasetRow {
  id: string;
  name: string;
  path: string;
  status: string;
  image_count: number;
  skipped_count: number;
  duplicate_count: number;
  min_size: number;
  report_json: string | null;
  error: string | null;
  scan_owner: string | null;
  created_at: number;
  updated_at: number;
}

export interface DatasetRecord extends DatasetSummary {
  minSize: number;
  report: DatasetReport | null;
  /** The process scanning it ("host:pid"), while its status is 'scanning'. */
  scanOwner: string | null;
}

function toRecord(row: DatasetRow): DatasetRecord {
  const record: DatasetRecord = {
    id: row.id,
    name: row.name,
    path: row.path,
    status: row.status as DatasetStatus,
    imageCount: row.image_count,
    skippedCount: row.skipped_count,
    duplicateCount: row.duplicate_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    minSize: row.min_size,
    report: row.report_json ? (JSON.parse(row.report_json) as DatasetReport) : null,
    scanOwner: row.scan_owner,
  };
  if (row.error) record.error = row.error;
  return record;
}

export function toDatasetSummary(record: DatasetRecord): DatasetSummary {
  const { minSize: _m, report: _r, scanOwner: _o, ...summary } = record;
  return summary;
}

export class DatasetStore {
  constructor(private readonly conn: Connection) {}

  list(): DatasetRecord[] {
    return this.conn
      .prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY created_at DESC')
      .all()
      .map(toRecord);
  }

  get(id: string): DatasetRecord | undefined {
    const row = this.conn.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE id = ?').get(id);
    return row ? toRecord(row) : undefined;
  }

  findByPath(folder: string): DatasetRecord | undefined {
    const row = this.conn.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE path = ?').get(folder);
    return row ? toRecord(row) : undefined;
  }

  /**
   * Registers a folder with status 'scanning', owned by `scanOwner`. Another process may register
   * the same folder at the same moment: then its record is returned, with created false.
   */
  create(input: { name: string; path: string; minSize: number; scanOwner: string | null }): {
    record: DatasetRecord;
    created: boolean;
  } {
    const id = newId('ds-');
    const now = Date.now();
    const { changes } = this.conn
      .prepare(
        `INSERT INTO datasets (id, name, path, status, min_size, scan_owner, created_at, updated_at)
         VALUES (?, ?, ?, 'scanning', ?, ?, ?, ?) ON CONFLICT (path) DO NOTHING`,
      )
      .run(id, input.name, input.path, input.minSize, input.scanOwner, now, now);
    return changes > 0
      ? { record: this.get(id)!, created: true }
      : { record: this.findByPath(input.path)!, created: false };
  }

  update(
    id: string,
    patch: Partial<{
      status: DatasetStatus;
      imageCount: number;
      skippedCount: number;
      duplicateCount: number;
      report: DatasetReport | null;
      error: string | null;
      scanOwner: string | null;
    }>,
  ): DatasetRecord | undefined {
    const columns: Record<string, string | number | null> = { updated_at: Date.now() };
    if (patch.status !== undefined) columns['status'] = patch.status;
    if (patch.imageCount !== undefined) columns['image_count'] = patch.imageCount;
    if (patch.skippedCount !== undefined) columns['skipped_count'] = patch.skippedCount;
    if (patch.duplicateCount !== undefined) columns['duplicate_count'] = patch.duplicateCount;
    if (patch.report !== undefined)
      columns['report_json'] = patch.report ? JSON.stringify(patch.report) : null;
    if (patch.error !== undefined) columns['error'] = patch.error;
    if (patch.scanOwner !== undefined) columns['scan_owner'] = patch.scanOwner;
    const names = Object.keys(columns);
    const sql = `UPDATE datasets SET ${names.map((n) => `${n} = @${n}`).join(', ')} WHERE id = @id`;
    return this.conn.prepare(sql).run({ ...columns, id }).changes > 0 ? this.get(id) : undefined;
  }

  delete(id: string): boolean {
    return this.conn.prepare('DELETE FROM datasets WHERE id = ?').run(id).changes > 0;
  }
}
