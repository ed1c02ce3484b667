import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../shared/errors.js';
import type { ParsedInput } from '../../../shared/api.js';
import { mediaUrls } from '../../../shared/media-urls.js';
import type { ExportedFile, LatentExport, ModelExport } from '../../../shared/types.js';
import { imageExportSpaceNeed, modelExportSpaceNeed, requireFreeSpace } from '../../common/disk-space.js';
import { contentTypeOf } from '../../common/media-types.js';
import { dataPaths } from '../../common/paths.js';
import type { RunRecord } from '../../store/runs.js';
import { makeNewFolder, slug, stamp } from '../files.js';
import { pathSpec, type LatentRequest } from '../protocol.js';
import type { GeneratorSources } from './sources.js';
import type { ExplorerThread } from './thread.js';

/** Raw pixels an animation may hold in memory while encoded. */
const maxAnimationBytes = 256 * 1024 * 1024;

export interface LatentExportsOptions {
  dataDir: string;
  /** Written into exported models, e.g. "GAN Studio 0.1.0". */
  generatedBy: string;
}

/**
 * What the explorer writes to keep: animations, strips, samples and model exports, each under
 * `exports/<run>/` in a name the studio picks (files.ts), written by the explorer's worker.
 */
export class LatentExports {
  constructor(
    private readonly opts: LatentExportsOptions,
    private readonly sources: GeneratorSources,
    private readonly explorer: ExplorerThread,
  ) {}

  /**
   * Removes a deleted run's exports: they are reached only through the run (the explorer lists and
   * serves them by run), so they would be left on disk where no one could find them. Generated
   * sets stay: they stand on their own and may have been added as datasets.
   */
  forgetRun(runId: string): void {
    fs.rmSync(dataPaths.exports(this.opts.dataDir, runId), { recursive: true, force: true });
  }

  /** A new file name in the run's exports folder: <stamp>-<run>-step<N>-<what>.<ext>. */
  private exportFile(run: RunRecord, step: number, what: string, ext: string): string {
    const folder = dataPaths.exports(this.opts.dataDir, run.id);
    fs.mkdirSync(folder, { recursive: true });
    return path.join(folder, `${stamp()}-${slug(run.name)}-step${step}-${what}.${ext}`);
  }

  private exported(run: RunRecord, file: string, bytes: number): ExportedFile {
    const fileName = path.basename(file);
    return {
      fileName,
      path: file,
      url: mediaUrls.export(run.id, fileName),
      mimeType: contentTypeOf(file),
      bytes,
    };
  }

  async exportPath(input: ParsedInput<'latent.export'>): Promise<LatentExport> {
    const { run, source } = this.sources.resolve(input);
    const frames = (input.seeds.length - 1) * input.framesPerSegment + 1;
    const side = run.config.resolution * input.scale;
    if (frames * side * side * 3 > maxAnimationBytes) {
      throw new ApiError(
        'invalid_input',
        `${frames} frames of ${side}×${side} px are too many to encode at once. Lower the scale or the frames per segment.`,
        'scale',
      );
    }
    requireFreeSpace(dataPaths.exports(this.opts.dataDir, run.id), imageExportSpaceNeed(frames, side));
    const ext = input.format === 'strip' ? 'png' : input.format;
    const seeds = input.seeds.length > 6 ? `${input.seeds.slice(0, 6).join('-')}-etc` : input.seeds.join('-');
    const what = `${input.format === 'strip' ? 'strip' : 'walk'}-${input.mode}-${seeds}`;
    return this.writeExport(run, {
      kind: 'export-animation',
      source,
      path: pathSpec(input),
      format: input.format,
      frameMs: input.frameMs,
      scale: input.scale,
      file: this.exportFile(run, source.step, what, ext),
    });
  }

  async exportSample(input: ParsedInput<'latent.exportSample'>): Promise<LatentExport> {
    const { run, source } = this.sources.resolve(input);
    const side = run.config.resolution * input.scale;
    requireFreeSpace(dataPaths.exports(this.opts.dataDir, run.id), imageExportSpaceNeed(1, side));
    return this.writeExport(run, {
      kind: 'export-sample',
      source,
      seed: input.seed,
      truncation: input.truncation,
      scale: input.scale,
      file: this.exportFile(run, source.step, `seed${input.seed}`, 'png'),
    });
  }

  /** Has the worker write one image export, and describes the file as the explorer lists it. */
  private async writeExport(
    run: RunRecord,
    request: Extract<LatentRequest, { kind: 'export-animation' | 'export-sample' }>,
  ): Promise<LatentExport> {
    const result = await this.explorer.ask(request, 'file');
    return {
      ...this.sources.describe(request.source, result),
      ...this.exported(run, request.file, result.bytes),
      frames: result.frames,
      width: result.width,
      height: result.height,
    };
  }

  async exportModel(input: ParsedInput<'latent.exportModel'>): Promise<ModelExport> {
    const { run, source } = this.sources.resolve(input);
    const parent = dataPaths.exports(this.opts.dataDir, run.id);
    requireFreeSpace(parent, modelExportSpaceNeed(run.config));
    const name = `${stamp()}-${slug(run.name)}-step${source.step}-tfjs`;
    const folder = makeNewFolder(parent, name);
    const metadata = {
      format: 'gan-studio-generator',
      version: 1,
      run: { id: run.id, name: run.name },
      checkpoint: { step: source.step, weights: source.weights },
      resolution: run.config.resolution,
      latentSize: run.config.latentSize,
      input: `[batch, ${run.config.latentSize}] latents z ~ N(0, I); truncation ψ is z·ψ`,
      output: `[batch, ${run.config.resolution}, ${run.config.resolution}, 3] RGB in [-1, 1]: pixel = (value + 1) · 127.5`,
      batchNorm:
        "inference mode with the statistics of the run's reference batch: one image per latent, in any batch",
      latent:
        "GAN Studio's seed s is Rng.seeded(s, 'latent').normal(latentSize) (xoshiro128**, Box–Muller); any N(0, I) sample works",
    };
    try {
      const result = await this.explorer.ask(
        { kind: 'export-model', source, folder, metadata, generatedBy: this.opts.generatedBy },
        'model',
      );
      return {
        ...this.sources.describe(source, result),
        format: 'tfjs',
        folder,
        // model.json first: it is what tf.loadLayersModel is pointed at.
        files: [...result.files]
          .sort((a, b) => Number(b.name === 'model.json') - Number(a.name === 'model.json'))
          .map((f) => ({
            fileName: f.name,
            path: path.join(folder, f.name),
            url: mediaUrls.export(run.id, path.basename(folder), f.name),
            mimeType: contentTypeOf(f.name),
            bytes: f.bytes,
          })),
      };
    } catch (error) {
      // Half a model is no model.
      fs.rmSync(folder, { recursive: true, force: true });
      throw error;
    }
  }
}
