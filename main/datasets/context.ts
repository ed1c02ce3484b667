import path from 'node:path';
import { ApiError } from '../../shared/errors.js';
import type { Emit } from '../../shared/events.js';
import type { DiskReserve } from '../common/disk-space.js';
import type { Connection } from '../store/database.js';
import type { DatasetRecord, DatasetStore } from '../store/datasets.js';
import { DatasetFileStore } from '../store/dataset-files.js';
import { dataPaths } from '../common/paths.js';

/**
 * What the parts of the datasets module share (the facade in service.ts, scan jobs, cache builds,
 * images): the store, the app's folder for datasets, the event channel, and whether the module
 * is closing.
 */
export class DatasetContext {
  readonly files: DatasetFileStore;
  readonly dataDir: string;
  /** Set once close() began: work in progress stops and new work is refused. */
  closing = false;

  constructor(
    readonly conn: Connection,
    readonly datasets: DatasetStore,
    dataDir: string,
    readonly emit: Emit,
    readonly reserve: DiskReserve | undefined,
  ) {
    this.dataDir = path.resolve(dataDir);
    this.files = new DatasetFileStore(conn);
  }

  require(id: string): DatasetRecord {
    const record = this.datasets.get(id);
    if (!record)
      throw new ApiError(
        'not_found',
        `No dataset with id ${id}. It may have been removed; reload the list of datasets.`,
      );
    return record;
  }

  assertOpen(): void {
    if (this.closing)
      throw new ApiError('unavailable', 'GAN Studio is closing. Try again after it restarts.');
  }

  /** `<dataDir>/datasets/<id>/`: the dataset's caches and thumbnails. */
  datasetDir(id: string): string {
    return dataPaths.dataset(this.dataDir, id);
  }

  datasetsRoot(): string {
    return dataPaths.datasetsRoot(this.dataDir);
  }

  /** A status write the user must see, given the disk reserve if the disk is full. */
  durable<T>(write: () => T): T {
    return this.reserve ? this.reserve.write(write) : write();
  }
}
