import fs from 'node:fs';
import os from 'node:os';
import type { AppInfo, BackendStatus } from '../shared/types.js';
import type { BackendName, TrainConfig } from '../shared/config.js';
import { DiskReserve } from './common/disk-space.js';
import { appVersion, packageVersion } from './common/versions.js';
import { openDatabase, type Connection } from './store/database.js';
import { backUpIfDue } from './store/backup.js';
import { DatasetStore } from './store/datasets.js';
import { RunStore } from './store/runs.js';
import { DatasetService } from './datasets/service.js';
import { TrainingManager } from './training/host/manager.js';
import { Calibrator } from './training/host/calibration.js';
import { probeBackends } from './training/host/probe.js';
import { recoverRuns, unknownRunFolders } from './training/host/recovery.js';
import { RunsService } from './runs/service.js';
import { OutsideRuns } from './runs/outside-runs.js';
import { LatentService } from './latent/host/service.js';
import { EventBus } from './api/event-bus.js';
import { createRouter, type Router } from './api/router.js';
import { MediaResolver } from './api/media.js';
import { appHandlers } from './api/handlers/app.js';
import { datasetHandlers } from './api/handlers/datasets.js';
import { runHandlers } from './api/handlers/runs.js';
import { trainingHandlers } from './api/handlers/training.js';
import { latentHandlers } from './api/handlers/latent.js';

export interface StudioOptions {
  dataDir: string;
  shell: AppInfo['shell'];
  /** Runs allowed to train at once (default: one per core, less one for the UI). */
  maxConcurrentRuns?: number;
  /** Backend of the latent explorer's generator workers: 'auto' unless a test pins one. */
  latentBackend?: 'auto' | BackendName;
  /**
   * Send events for runs other processes train on this data folder (default true): a UI shows
   * them live. One-shot CLI commands have no one to tell.
   */
  followOutsideRuns?: boolean;
  /** How often the store is read for them (default every 2 s; a test reads it by hand). */
  outsideRunsIntervalMs?: number;
  /**
   * Keep the rolling backup of the store (store/backup.ts): the shells that stay open (the app,
   * `serve`, `train`) do; a one-shot command would close before the copy is done.
   */
  backUp?: boolean;
}

/**
 * The composition root: everything behind the API, built once and wired here, and nowhere else.
 * Each service gets the few things it uses; each group of API handlers gets the services it
 * calls (no handler sees the Studio). The Electron app, `serve` and every CLI command each open
 * one Studio and reach it through its router.
 */
export class Studio {
  readonly conn: Connection;
  readonly events = new EventBus();
  readonly runs: RunStore;
  readonly datasets: DatasetService;
  readonly training: TrainingManager;
  /** Null where no UI listens (CLI commands other than serve). */
  readonly outsideRuns: OutsideRuns | null = null;
  /** Past runs: the list, a run's story, comparisons and exports. */
  readonly runService: RunsService;
  /** A run's generator: the latent explorer, exports and generated data sets. */
  readonly latent: LatentService;
  readonly router: Router;
  readonly media: MediaResolver;
  /** Room kept to record statuses when the disk fills up (see common/disk-space.ts). */
  readonly reserve: DiskReserve;
  /** How fast this machine trains a model: the Train form's expected duration. */
  readonly calibrator: Calibrator;
  private backends: Promise<BackendStatus[]> | null = null;
  private readonly version = appVersion();

  constructor(readonly options: StudioOptions) {
    const { dataDir } = options;
    const emit = this.events.emit;
    fs.mkdirSync(dataDir, { recursive: true });
    this.conn = openDatabase(dataDir);
    this.reserve = new DiskReserve(dataDir);
    // On a full disk this fails quietly: the store is still opened and read.
    this.reserve.ensure();
    this.runs = new RunStore(this.conn);
    const datasetStore = new DatasetStore(this.conn);
    this.datasets = new DatasetService({
      conn: this.conn,
      datasets: datasetStore,
      dataDir,
      emit,
      reserve: this.reserve,
    });
    // A dataset's training cache at a run's settings: what a run and the explorer's memorisation check read.
    const trainingCache = (id: string, s: { resolution: number; crop: TrainConfig['crop']; flip: boolean }) =>
      this.datasets.buildCache({ id, resolution: s.resolution as 32, crop: s.crop, flip: s.flip });
    this.training = new TrainingManager({
      runs: this.runs,
      dataDir,
      emit,
      // Each run trains on one core; one core stays for the main thread and the UI.
      maxConcurrent: options.maxConcurrentRuns ?? Math.max(1, os.availableParallelism() - 1),
      reserve: this.reserve,
      onSessionEnded: (id) => this.outsideRuns?.adopt(id),
      caches: {
        datasetSize: (id) => this.datasets.get(id).imageCount,
        datasetName: (id) => this.datasets.get(id).name,
        ensureCache: trainingCache,
      },
    });
    this.calibrator = new Calibrator({
      dataDir,
      emit,
      appVersion: this.version,
      busy: () => this.training.activeCount > 0,
    });
    if (options.followOutsideRuns ?? true) {
      this.outsideRuns = new OutsideRuns({
        runs: this.runs,
        emit,
        trainsHere: (id) => this.training.trainsHere(id),
        ...(options.outsideRunsIntervalMs ? { intervalMs: options.outsideRunsIntervalMs } : {}),
      });
    }
    this.runService = new RunsService({ runs: this.runs, datasets: { get: (id) => datasetStore.get(id) } });
    this.latent = new LatentService({
      runs: this.runs,
      dataDir,
      emit,
      trainingCache,
      datasetName: (id) => datasetStore.get(id)?.name ?? null,
      generatedBy: `GAN Studio ${this.version}`,
      ...(options.latentBackend ? { backend: options.latentBackend } : {}),
    });
    this.media = new MediaResolver({
      dataDir,
      runExists: (id) => this.runs.get(id) !== undefined,
      thumbnail: (id, fileId) => this.datasets.openThumbnail(id, fileId),
      original: (id, fileId) => this.datasets.openOriginal(id, fileId),
    });
    this.router = createRouter(
      {
        ...appHandlers(() => this.info()),
        ...datasetHandlers(this.datasets),
        ...runHandlers({
          runs: this.runs,
          runService: this.runService,
          emit,
          describeRun: (id) => this.training.describe(id),
          recover: (behindToo) =>
            recoverRuns(
              { runs: this.runs, dataDir, datasetFor: (folder, name) => this.datasetFor(folder, name) },
              behindToo,
            ),
          deleteRun: async (id) => {
            const deleted = await this.training.delete(id);
            this.latent.forgetRun(id);
            return deleted;
          },
        }),
        ...trainingHandlers({
          training: this.training,
          calibrator: this.calibrator,
          datasets: this.datasets,
        }),
        ...latentHandlers(this.latent),
      },
      { onInternalError: (method, err) => console.error(`[api] ${method} failed:`, err) },
    );
    // A backup a day of a store that holds something and knows every run folder: never of one
    // that was just lost (it would push the good backups out).
    const holdsSomething = this.runs.list().length > 0 || this.datasets.list().length > 0;
    if (options.backUp && holdsSomething && this.unknownRunFolders().length === 0) {
      backUpIfDue(this.conn, dataDir).catch((err: unknown) =>
        console.warn(`[store] backup not made: ${(err as Error).message.split('\n')[0]}`),
      );
    }
  }

  /** Run folders the store does not know: a store that was lost or damaged (see runs.recover). */
  unknownRunFolders(): string[] {
    return unknownRunFolders(this.options.dataDir, this.runs);
  }

  /**
   * The dataset of a run being rebuilt: the registered one with that folder, or the folder added
   * again (and scanned) where it still exists; null where it is gone.
   */
  private async datasetFor(folder: string, name: string | null): Promise<string | null> {
    const known = this.datasets.list().find((d) => d.path === folder);
    if (known) return known.id;
    if (!fs.existsSync(folder)) return null;
    const added = await this.datasets.add({ path: folder, ...(name ? { name } : {}), minSize: 16 });
    await this.datasets.waitForScan(added.id);
    return added.id;
  }

  async info(): Promise<AppInfo> {
    const backends = (this.backends ??= probeBackends());
    const versions: AppInfo['versions'] = {
      node: process.versions.node,
      tfjs: packageVersion('@tensorflow/tfjs-core'),
    };
    if (process.versions['electron']) versions.electron = process.versions['electron'];
    if (process.versions['chrome']) versions.chrome = process.versions['chrome'];
    return {
      name: 'GAN Studio',
      version: this.version,
      versions,
      platform: `${process.platform}-${process.arch}`,
      dataDir: this.options.dataDir,
      shell: this.options.shell,
      backends: await backends,
    };
  }

  async close(): Promise<void> {
    this.outsideRuns?.close();
    this.calibrator.close();
    await this.latent.close();
    await this.training.close();
    await this.datasets.close();
    this.conn.close();
  }
}
