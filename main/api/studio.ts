import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { AppInfo, BackendStatus, TrainingEstimate } from '../../shared/types.js';
import type { ParsedInput } from '../../shared/api.js';
import { DiskReserve } from '../disk-space.js';
import { openDatabase, type Connection } from '../store/database.js';
import { DatasetStore } from '../store/datasets.js';
import { RunStore } from '../store/runs.js';
import { DatasetService } from '../datasets/service.js';
import { TrainingManager, resolveRunConfig, sampleUrl } from '../training/host/manager.js';
import { Calibrator } from '../training/host/calibration.js';
import { probeBackends } from '../training/host/probe.js';
import { RunsService } from '../runs/service.js';
import { EventBus } from './event-bus.js';
import { createHandlers } from './handlers.js';
import { createRouter, type Router } from './router.js';
import { MediaResolver } from './media.js';
import { LatentService } from '../latent/service.js';
import { OutsideRuns } from '../runs/outside-runs.js';
import type { BackendName, TrainConfig } from '../../shared/config.js';

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
}

/** The default data folder, shared by the desktop app and the CLI (Electron's userData). */
export function defaultDataDir(): string {
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'GAN Studio');
    case 'win32':
      return path.join(process.env['APPDATA'] ?? path.join(home, 'AppData', 'Roaming'), 'GAN Studio');
    default:
      return path.join(process.env['XDG_CONFIG_HOME'] ?? path.join(home, '.config'), 'GAN Studio');
  }
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The app's own version, from the package.json above this module (source or compiled). */
function appVersion(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gan-studio') return pkg.version ?? '0.0.0';
    }
  }
  return '0.0.0';
}

/** Everything behind the API, composed once; the Electron app and `serve` each wrap one. */
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
  /** Room kept to record statuses when the disk fills up (see disk-space.ts). */
  readonly reserve: DiskReserve;
  /** How fast this machine trains a model: the Train form's expected duration. */
  readonly calibrator: Calibrator;
  private backends: Promise<BackendStatus[]> | null = null;
  private readonly version = appVersion();

  constructor(readonly options: StudioOptions) {
    fs.mkdirSync(options.dataDir, { recursive: true });
    this.conn = openDatabase(options.dataDir);
    this.reserve = new DiskReserve(options.dataDir);
    // On a full disk this fails quietly: the store is still opened and read.
    this.reserve.ensure();
    this.runs = new RunStore(this.conn);
    const datasetStore = new DatasetStore(this.conn);
    this.datasets = new DatasetService({
      conn: this.conn,
      datasets: datasetStore,
      dataDir: options.dataDir,
      emit: this.events.emit,
      reserve: this.reserve,
    });
    // A dataset's training cache at a run's settings: what a run and the explorer's memorisation check read.
    const trainingCache = (id: string, s: { resolution: number; crop: TrainConfig['crop']; flip: boolean }) =>
      this.datasets.buildCache({ id, resolution: s.resolution as 32, crop: s.crop, flip: s.flip });
    this.training = new TrainingManager({
      runs: this.runs,
      dataDir: options.dataDir,
      emit: this.events.emit,
      // Each run trains on one core; one core stays for the main thread and the UI.
      maxConcurrent: options.maxConcurrentRuns ?? Math.max(1, os.availableParallelism() - 1),
      reserve: this.reserve,
      caches: {
        datasetSize: (id) => this.datasets.get(id).imageCount,
        datasetName: (id) => this.datasets.get(id).name,
        ensureCache: (id, s) => trainingCache(id, s),
      },
    });
    this.calibrator = new Calibrator({
      dataDir: options.dataDir,
      emit: this.events.emit,
      appVersion: this.version,
      busy: () => this.training.activeCount > 0,
    });
    if (options.followOutsideRuns ?? true) {
      this.outsideRuns = new OutsideRuns({
        runs: this.runs,
        emit: this.events.emit,
        trainsHere: (id) => this.training.trainsHere(id),
      });
    }
    this.runService = new RunsService({
      runs: this.runs,
      datasets: { get: (id) => datasetStore.get(id) },
      sampleUrl,
    });
    this.latent = new LatentService({
      runs: this.runs,
      dataDir: options.dataDir,
      emit: this.events.emit,
      trainingCache,
      datasetName: (id) => datasetStore.get(id)?.name ?? null,
      generatedBy: `GAN Studio ${this.version}`,
      ...(options.latentBackend ? { backend: options.latentBackend } : {}),
    });
    this.media = new MediaResolver(this);
    this.router = createRouter(createHandlers(this), {
      onInternalError: (method, err) => console.error(`[api] ${method} failed:`, err),
    });
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

  /** How long a run of these settings would take here (training.estimate). */
  estimate(input: ParsedInput<'training.estimate'>): Promise<TrainingEstimate> {
    const config = resolveRunConfig(input.preset, input.config);
    const datasetSize = input.datasetId ? this.datasets.get(input.datasetId).imageCount : null;
    return this.calibrator.estimate(config, datasetSize);
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
