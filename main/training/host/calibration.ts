import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import {
  modelFamilyLabels,
  trainConfigSchema,
  type BackendName,
  type TrainConfig,
} from '../../../shared/config.js';
import { ApiError } from '../../../shared/errors.js';
import type { Emit } from '../../../shared/events.js';
import type { TrainingEstimate } from '../../../shared/types.js';
import { writeFileAtomic } from '../../common/atomic-files.js';
import { startWorker } from '../../common/worker-start.js';
import type { CalibrationRequest, FromCalibration, Measurement } from '../protocol.js';
import { firstSampleAfterMs, sampleIntervalMs, swdFirstAfterMs, swdIntervalMs } from '../schedule.js';

/**
 * The Train form's "how long will this take": a short calibration of the model in a worker
 * thread (worker/calibration.ts), cached in the data folder per machine, backend and model
 * shape, and turned into a run's expected duration. One calibration runs at a time; the main
 * thread never loads TensorFlow.js.
 */

/** What decides the cost of one step: the model, the batch, augmentation, EMA and the backend. */
export interface SpeedShape {
  model: TrainConfig['model'];
  backend: 'auto' | BackendName;
  threads: number;
  resolution: TrainConfig['resolution'];
  width: number;
  latentSize: number;
  batchSize: number;
  augment: boolean;
  ema: boolean;
}

export interface CachedMeasurement extends Measurement {
  measuredAt: number;
  /** Another run was training meanwhile: measured again once the machine is idle. */
  busy: boolean;
}

interface CacheFile {
  version: 1;
  entries: Record<string, CachedMeasurement>;
}

/** DiffAugment 'auto' is on below this many images: engine/trainer.ts `augments` (tested alike). */
const diffAugmentAutoBelow = 5000;

/**
 * Whether a run augments, as engine/trainer.ts decides it (importing it would load TensorFlow.js
 * on the main thread). With no dataset chosen yet, 'auto' is taken as on: the smaller datasets
 * people start with are under the threshold.
 */
export function augmentsFor(config: TrainConfig, datasetSize: number | null): boolean {
  if (config.diffAugment !== 'auto') return config.diffAugment === 'on';
  return datasetSize === null || datasetSize < diffAugmentAutoBelow;
}

export function speedShape(config: TrainConfig, datasetSize: number | null): SpeedShape {
  return {
    model: config.model,
    backend: config.backend,
    threads: config.threads,
    resolution: config.resolution,
    width: config.width,
    latentSize: config.latentSize,
    batchSize: config.batchSize,
    augment: augmentsFor(config, datasetSize),
    ema: config.emaDecay > 0,
  };
}

export function shapeKey(s: SpeedShape): string {
  return [
    // DCGAN's keys stay as they were before there were families: its measurements still apply.
    ...(s.model === 'dcgan' ? [] : [s.model]),
    s.backend,
    `threads ${s.threads}`,
    `${s.resolution}px`,
    `width ${s.width}`,
    `latent ${s.latentSize}`,
    `batch ${s.batchSize}`,
    s.augment ? 'augment' : 'plain',
    s.ema ? 'ema' : 'no-ema',
  ].join(' · ');
}

/** In words, for the progress line: "64 px, width 1, batch 64". */
export function shapeLabel(s: SpeedShape): string {
  const family = s.model === 'dcgan' ? '' : `${modelFamilyLabels[s.model].replace(/ \(.*\)$/, '')}, `;
  return `${family}${s.resolution} px, width ${s.width}, batch ${s.batchSize}${s.augment ? ', DiffAugment' : ''}`;
}

/**
 * This machine as far as speed goes: a data folder may be shared (synced, or on a network drive)
 * with another machine, whose measurements mean nothing here. The app's version is part of it:
 * a new version may train faster or slower.
 */
export function machineKey(appVersion: string): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = Math.round(os.totalmem() / 2 ** 30);
  return `${os.hostname()} · ${process.platform}-${process.arch} · ${cpu} × ${os.availableParallelism()} · ${memory} GiB · v${appVersion}`;
}

/** Sample grids the time-based schedule takes in a run of `ms` (training/schedule.ts). */
export function scheduledSamples(ms: number): number {
  let count = 0;
  for (let at = firstSampleAfterMs; at <= ms; at += sampleIntervalMs(at)) count++;
  return count;
}

/** Quality (SWD) points in a run of `ms`: one 30 s in, every 3 minutes, and one at the end. */
export function scheduledQualityPoints(ms: number): number {
  return 1 + (ms >= swdFirstAfterMs ? 1 + Math.floor((ms - swdFirstAfterMs) / swdIntervalMs) : 0);
}

/**
 * A run's expected duration from a measurement: its steps, plus start-up, the sample grids (by
 * time and every sampleEvery steps, and the one at step 0), the quality points and the
 * checkpoints, which themselves depend on how long the run lasts.
 */
export function expectedSeconds(m: Measurement, config: TrainConfig): { total: number; overhead: number } {
  const training = config.steps * m.secondsPerStep;
  let total = training;
  let overhead = 0;
  // Overheads lengthen the run, which adds overheads: a few rounds settle it.
  for (let round = 0; round < 4; round++) {
    const ms = total * 1000;
    const samples =
      1 + scheduledSamples(ms) + (config.sampleEvery > 0 ? Math.floor(config.steps / config.sampleEvery) : 0);
    const checkpoints = 1 + Math.floor(total / (config.checkpointMinutes * 60));
    overhead =
      m.startupSeconds +
      samples * m.sampleSeconds +
      scheduledQualityPoints(ms) * m.swdSeconds +
      checkpoints * m.checkpointSeconds;
    total = training + overhead;
  }
  return { total, overhead };
}

export function toEstimate(cached: CachedMeasurement, config: TrainConfig, fresh: boolean): TrainingEstimate {
  const { total, overhead } = expectedSeconds(cached, config);
  return {
    backend: cached.backend,
    threads: cached.threads,
    notes: cached.notes,
    steps: config.steps,
    secondsPerStep: cached.secondsPerStep,
    imagesPerSecond: config.batchSize / cached.secondsPerStep,
    totalSeconds: total,
    overheadSeconds: overhead,
    measuredAt: cached.measuredAt,
    measuredWhileBusy: cached.busy,
    fresh,
  };
}

export type MeasureFn = (
  request: CalibrationRequest,
  onProgress: (progress: Extract<FromCalibration, { type: 'progress' }>) => void,
) => { result: Promise<Measurement>; cancel(): void };

/** A calibration stuck this long (a backend that hangs) is given up. */
const calibrationTimeoutMs = 5 * 60_000;

/** Runs a calibration in its own worker thread, which is ended once it answers. */
export const measureInWorker: MeasureFn = (request, onProgress) => {
  let worker: Worker | null = startWorker(new URL('../worker/calibration-worker', import.meta.url), {
    name: 'calibration',
  });
  const stop = () => {
    void worker?.terminate();
    worker = null;
  };
  const result = new Promise<Measurement>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`it took more than ${calibrationTimeoutMs / 60_000} minutes`));
    }, calibrationTimeoutMs);
    const settle = (f: () => void) => {
      clearTimeout(timer);
      stop();
      f();
    };
    worker!.on('message', (message: FromCalibration) => {
      if (message.type === 'progress') onProgress(message);
      else if (message.type === 'result') settle(() => resolve(message.measurement));
      else settle(() => reject(new Error(message.error)));
    });
    worker!.on('error', (error) => settle(() => reject(error)));
    worker!.on('exit', (code) => settle(() => reject(new Error(`the worker exited (code ${code})`))));
    worker!.postMessage(request satisfies CalibrationRequest);
  });
  return { result, cancel: stop };
};

interface Job {
  key: string;
  shape: SpeedShape;
  promise: Promise<CachedMeasurement>;
  resolve(m: CachedMeasurement): void;
  reject(error: unknown): void;
}

export interface CalibratorOptions {
  dataDir: string;
  emit: Emit;
  appVersion: string;
  /** Whether a run is training now (its measurement is then marked and redone when idle). */
  busy(): boolean;
  measure?: MeasureFn;
  /** Steady-state steps are timed for at least this long. */
  minSeconds?: number;
  maxSteps?: number;
  /** Overrides machineKey() (tests: "another machine"). */
  machine?: string;
}

export class Calibrator {
  private readonly file: string;
  private readonly machine: string;
  private readonly measure: MeasureFn;
  /** Jobs waiting their turn, latest request last; at most one runs (`running`). */
  private readonly waiting: Job[] = [];
  private running: (Job & { cancel(): void }) | null = null;
  private closed = false;

  constructor(private readonly opts: CalibratorOptions) {
    this.file = path.join(opts.dataDir, 'calibration.json');
    this.machine = opts.machine ?? machineKey(opts.appVersion);
    this.measure = opts.measure ?? measureInWorker;
  }

  /** The expected duration of a run of `config` on a dataset of `datasetSize` images. */
  async estimate(config: TrainConfig, datasetSize: number | null): Promise<TrainingEstimate> {
    const shape = speedShape(config, datasetSize);
    const key = `${this.machine} | ${shapeKey(shape)}`;
    const cached = this.read()[key];
    if (cached && !(cached.busy && !this.opts.busy())) return toEstimate(cached, config, false);
    if (this.opts.busy()) {
      // Timing steps now would take CPU (or GPU) from the run that trains, and the figure would
      // be wrong anyway: this machine's speed is measured when it is free.
      throw new ApiError(
        'unavailable',
        'A run is training now, so this model’s speed is measured once it is done (measuring now would slow that run and give a wrong figure). You can start anyway: the run page shows the speed and time left as soon as it trains.',
      );
    }
    const measured = await this.measured(key, shape);
    return toEstimate(measured, config, true);
  }

  private measured(key: string, shape: SpeedShape): Promise<CachedMeasurement> {
    if (this.closed) {
      return Promise.reject(
        new ApiError('unavailable', 'GAN Studio is closing; estimate again after it restarts.'),
      );
    }
    const existing = this.running?.key === key ? this.running : this.waiting.find((j) => j.key === key);
    if (existing) return existing.promise;
    // Only the latest request waits: settings changed since the others were asked for.
    for (const stale of this.waiting.splice(0)) {
      stale.reject(
        new ApiError(
          'conflict',
          'The settings changed before their speed was measured; the newer settings are measured instead.',
        ),
      );
    }
    let resolve!: (m: CachedMeasurement) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<CachedMeasurement>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A superseded request nobody awaits any more must not be an unhandled rejection.
    promise.catch(() => undefined);
    this.waiting.push({ key, shape, promise, resolve, reject });
    this.pump();
    return promise;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.waiting.shift();
    if (!job) return;
    const busy = this.opts.busy();
    const label = shapeLabel(job.shape);
    const config = trainConfigSchema.parse({
      model: job.shape.model,
      resolution: job.shape.resolution,
      width: job.shape.width,
      latentSize: job.shape.latentSize,
      batchSize: job.shape.batchSize,
      diffAugment: job.shape.augment ? 'on' : 'off',
      emaDecay: job.shape.ema ? 0.999 : 0,
      backend: job.shape.backend,
      threads: job.shape.threads,
    });
    // At most ~10 progress events a second, as the design asks of everything pushed to the UI: a
    // GPU may time a step every few milliseconds. The first and the last always go out.
    let lastEmit = 0;
    const progress = (p: { backend: BackendName | null; done: number; total: number }) => {
      const now = Date.now();
      if (now - lastEmit < 100 && p.done > 0 && p.done < p.total) return;
      lastEmit = now;
      this.opts.emit('training.calibration', { label, backend: p.backend, done: p.done, total: p.total });
    };
    const { result, cancel } = this.measure(
      {
        type: 'calibrate',
        backend: job.shape.backend,
        threads: job.shape.threads,
        config,
        minSeconds: this.opts.minSeconds ?? 4,
        maxSteps: this.opts.maxSteps ?? 200,
      },
      progress,
    );
    this.running = { ...job, cancel };
    result
      .then(
        async (measurement) => {
          const entry: CachedMeasurement = {
            ...measurement,
            measuredAt: Date.now(),
            busy: busy || this.opts.busy(),
          };
          await this.store(job, entry).catch((error: unknown) => {
            // Only the cache is lost: the estimate is still right, and is measured again next time.
            console.warn('[calibration] could not save the measurement:', (error as Error).message);
          });
          job.resolve(entry);
        },
        (error: unknown) =>
          job.reject(
            new ApiError(
              'unavailable',
              `Measuring how fast this machine trains ${label} failed: ${(error as Error).message}. ` +
                'Try another backend, or start the run anyway: its page shows the speed and time left once it trains.',
            ),
          ),
      )
      .finally(() => {
        this.running = null;
        this.pump();
      });
  }

  private read(): Record<string, CachedMeasurement> {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<CacheFile>;
      return parsed.version === 1 && parsed.entries ? parsed.entries : {};
    } catch {
      // Missing or unreadable (an older or damaged file): measured again.
      return {};
    }
  }

  /**
   * Saved under the backend asked for and the one that trained, so asking for 'wasm' after
   * 'auto' chose it (or the reverse, next time) needs no second calibration.
   */
  private async store(job: Job, entry: CachedMeasurement): Promise<void> {
    const entries = this.read();
    entries[job.key] = entry;
    const asChosen = shapeKey({ ...job.shape, backend: entry.backend });
    entries[`${this.machine} | ${asChosen}`] = entry;
    const file: CacheFile = { version: 1, entries };
    await writeFileAtomic(this.file, JSON.stringify(file, null, 1));
  }

  close(): void {
    this.closed = true;
    this.running?.cancel();
    for (const job of this.waiting.splice(0)) {
      job.reject(new ApiError('unavailable', 'GAN Studio is closing; estimate again after it restarts.'));
    }
  }
}
