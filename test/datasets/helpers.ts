import fs from 'node:fs';
import path from 'node:path';
import type { EventName, EventPayloads } from '../../shared/events.js';
import { openDatabase, type Connection } from '../../main/store/database.js';
import { DatasetStore } from '../../main/store/datasets.js';
import { DatasetService } from '../../main/datasets/service.js';
import { fileTempDir } from '../helpers/temp.js';

/** One event as emitted: name and payload typed together. */
export type Recorded = { [E in EventName]: { name: E; payload: EventPayloads[E] } }[EventName];

/** A DatasetService on a real SQLite store in a temp data folder, recording its events. */
export class Harness {
  readonly root = fileTempDir('gs-svc-');
  readonly dataDir = path.join(this.root, 'data');
  readonly conn: Connection;
  readonly store: DatasetStore;
  readonly service: DatasetService;
  readonly events: Recorded[] = [];
  /** Called synchronously on each event, e.g. to act at a given point of a scan. */
  onEvent: ((event: Recorded) => void) | undefined;

  constructor() {
    this.conn = openDatabase(this.dataDir);
    this.store = new DatasetStore(this.conn);
    this.service = new DatasetService({
      conn: this.conn,
      datasets: this.store,
      dataDir: this.dataDir,
      emit: (name, payload) => {
        const event = { name, payload } as Recorded;
        this.events.push(event);
        this.onEvent?.(event);
      },
    });
  }

  /** A fresh folder path under the harness's temp root (not created). */
  folder(name: string): string {
    return path.join(this.root, name);
  }

  async dispose(): Promise<void> {
    await this.service.close();
    this.conn.close();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
