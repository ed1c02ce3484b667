import type { BackendName, TrainConfig } from '../../../shared/config.js';
import { ApiError } from '../../../shared/errors.js';
import type { Emit } from '../../../shared/events.js';
import type { ParsedInput } from '../../../shared/api.js';
import type {
  GenerationJob,
  LatentExport,
  LatentPath,
  LatentRun,
  LatentSamples,
  MemorisationCheck,
  ModelExport,
} from '../../../shared/types.js';
import { toCheckpointInfo, type RunStore } from '../../store/runs.js';
import { recoverLatentFiles } from '../files.js';
import { pathSpec } from '../protocol.js';
import { LatentExports } from './exports.js';
import { GenerationJobs } from './generation.js';
import { GeneratorSources } from './sources.js';
import { ExplorerThread } from './thread.js';

/**
 * The latent explorer's side of the API: a run's generator, from any of its checkpoints, asked for
 * samples, paths, exports, generated data sets, memorisation checks and model exports. All the
 * work happens in worker threads (../worker/) on the best backend: the explorer's own
 * (thread.ts), one per generated set (generation.ts); this class picks the checkpoint
 * (sources.ts) and every output path (../files.ts, exports.ts).
 */

export interface LatentServiceOptions {
  runs: RunStore;
  dataDir: string;
  emit: Emit;
  /** The run's dataset cache at these settings (built if needed): the memorisation check's images. */
  trainingCache(
    datasetId: string,
    settings: { resolution: number; crop: TrainConfig['crop']; flip: boolean },
  ): Promise<{ file: string; count: number }>;
  datasetName(datasetId: string): string | null;
  /** Written into manifests and exported models, e.g. "GAN Studio 0.1.0". */
  generatedBy: string;
  /** Backend for generator workers: 'auto' (the best that loads) unless a test pins one. */
  backend?: 'auto' | BackendName;
  /** CPU threads for wasm, as TrainConfig.threads (0 = auto). */
  threads?: number;
  /** How long the explorer's worker waits for the next request before it is let go. */
  idleMs?: number;
}

function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}

export class LatentService {
  private readonly sources: GeneratorSources;
  private readonly explorer: ExplorerThread;
  private readonly exports: LatentExports;
  private readonly generation: GenerationJobs;

  constructor(private readonly opts: LatentServiceOptions) {
    recoverLatentFiles(opts.dataDir);
    const workerData = { backend: opts.backend ?? 'auto', threads: opts.threads ?? 0 };
    this.sources = new GeneratorSources(opts.runs, opts.dataDir);
    this.explorer = new ExplorerThread(workerData, opts.idleMs ?? 60_000);
    this.exports = new LatentExports(opts, this.sources, this.explorer);
    this.generation = new GenerationJobs({ ...opts, workerData }, this.sources);
  }

  runs(): LatentRun[] {
    return this.opts.runs
      .list()
      .map((run) => ({ run, checkpoints: this.opts.runs.checkpoints(run.id) }))
      .filter(({ checkpoints }) => checkpoints.length > 0)
      .map(({ run, checkpoints }) => ({
        id: run.id,
        name: run.name,
        status: run.status,
        resolution: run.config.resolution,
        latentSize: run.config.latentSize,
        ema: run.config.emaDecay > 0,
        datasetId: run.datasetId,
        datasetName: run.datasetName,
        checkpoints: checkpoints.map(toCheckpointInfo),
        createdAt: run.createdAt,
      }));
  }

  /** The checkpoint file and weights a request names: the latest checkpoint and EMA by default. */

  async samples(input: ParsedInput<'latent.samples'>): Promise<LatentSamples> {
    const { source } = this.sources.resolve(input);
    const result = await this.explorer.ask(
      { kind: 'samples', source, seeds: input.seeds, truncation: input.truncation },
      'samples',
    );
    return {
      ...this.sources.describe(source, result),
      truncation: input.truncation,
      images: result.images.map((png, i) => ({ seed: input.seeds[i]!, url: pngDataUrl(png) })),
    };
  }

  async path(input: ParsedInput<'latent.path'>): Promise<LatentPath> {
    const { source } = this.sources.resolve(input);
    const spec = pathSpec(input);
    const result = await this.explorer.ask({ kind: 'path', source, path: spec }, 'path');
    return {
      ...this.sources.describe(source, result),
      ...spec,
      frames: result.frames.map((f, index) => ({
        index,
        segment: f.segment,
        t: f.t,
        keyframe: f.keyframe,
        url: pngDataUrl(f.png),
      })),
    };
  }

  async nearest(input: ParsedInput<'latent.nearest'>): Promise<MemorisationCheck> {
    const { run, source } = this.sources.resolve(input);
    const datasetName = run.datasetId ? this.opts.datasetName(run.datasetId) : null;
    if (!run.datasetId || datasetName === null) {
      throw new ApiError(
        'conflict',
        `The dataset run "${run.name}" trained on was removed, so there are no training images to compare with. ` +
          'Add its folder again to check this run for memorisation.',
        'runId',
      );
    }
    const cache = await this.opts.trainingCache(run.datasetId, {
      resolution: run.config.resolution,
      crop: run.config.crop,
      flip: run.config.flip,
    });
    const result = await this.explorer.ask(
      {
        kind: 'nearest',
        source,
        seeds: input.seeds,
        truncation: input.truncation,
        cacheFile: cache.file,
        threshold: input.threshold,
      },
      'nearest',
    );
    return {
      ...this.sources.describe(source, result),
      truncation: input.truncation,
      threshold: input.threshold,
      datasetName,
      trainingCount: result.trainingCount,
      matches: result.matches.map((m) => ({
        seed: m.seed,
        url: pngDataUrl(m.png),
        nearestUrl: pngDataUrl(m.nearestPng),
        nearestIndex: m.index,
        distance: m.distance,
        nearCopy: m.distance < input.threshold,
      })),
    };
  }

  exportPath(input: ParsedInput<'latent.export'>): Promise<LatentExport> {
    return this.exports.exportPath(input);
  }

  exportSample(input: ParsedInput<'latent.exportSample'>): Promise<LatentExport> {
    return this.exports.exportSample(input);
  }

  exportModel(input: ParsedInput<'latent.exportModel'>): Promise<ModelExport> {
    return this.exports.exportModel(input);
  }

  /** Removes a deleted run's exports (exports.ts says why; generated sets stay). */
  forgetRun(runId: string): void {
    this.exports.forgetRun(runId);
  }

  generate(input: ParsedInput<'latent.generate'>): GenerationJob {
    return this.generation.generate(input);
  }

  listJobs(): GenerationJob[] {
    return this.generation.listJobs();
  }

  cancel(jobId: string): Promise<GenerationJob> {
    return this.generation.cancel(jobId);
  }

  /** Resolves when the job has ended (for the CLI and tests). */
  whenDone(jobId: string): Promise<GenerationJob> {
    return this.generation.whenDone(jobId);
  }

  async close(): Promise<void> {
    const explorer = this.explorer.close();
    await this.generation.close();
    await explorer;
  }
}
