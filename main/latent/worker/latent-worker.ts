import fs from 'node:fs/promises';
import path from 'node:path';
import { firstLineOf } from '../../../shared/errors.js';
import { writeFileAtomic } from '../../common/atomic-files.js';
import { readCacheFile } from '../../datasets/cache-format.js';
import { CheckpointDamaged, decodeCheckpoint } from '../../training/checkpoint-file.js';
import type { TrainingImages } from '../../training/engine/data.js';
import { Generator } from '../../training/engine/generator.js';
import { pathLatents, seedLatent, seedLatents, truncate } from '../../training/engine/latent.js';
import { selectBackend, type BackendSelection } from '../../training/worker/backends.js';
import type {
  FromLatentWorker,
  GeneratorInfo,
  GeneratorSource,
  LatentRequest,
  LatentResult,
  LatentWorkerData,
  ToLatentWorker,
} from '../protocol.js';
import { writeGeneratedSet } from './generate-set.js';
import {
  encodeAnimation,
  encodePngFrame,
  encodePngFrames,
  enlarge,
  toRgb,
  type RgbFrames,
} from './images.js';
import { nearestTrainingImages } from './nearest.js';
import { buildLayersModel, weightsFileName } from './tfjs-export.js';

/**
 * The worker side of the latent protocol: picks the best backend once, keeps the last generators
 * it loaded, and answers requests one at a time (a cancel is handled at once). Everything here
 * runs off the main thread; the service chose every path it writes to.
 */

export interface LatentPort {
  postMessage(message: FromLatentWorker): void;
  on(event: 'message', listener: (message: ToLatentWorker) => void): unknown;
}

/** Generators kept loaded: the explorer goes back and forth between a run's checkpoints. */
const keptGenerators = 2;

interface Loaded {
  key: string;
  generator: Generator;
}

export class LatentWorker {
  private backend: Promise<BackendSelection> | null = null;
  private readonly loaded: Loaded[] = [];
  private queue: Promise<void> = Promise.resolve();
  private readonly cancelled = new Set<number>();
  private readonly training = new Map<string, Promise<TrainingImages>>();

  constructor(
    private readonly port: LatentPort,
    private readonly data: LatentWorkerData,
  ) {
    port.on('message', (message) => {
      if (message.type === 'cancel') this.cancelled.add(message.id);
      else {
        const { id, request } = message;
        this.queue = this.queue.then(() => this.handle(id, request));
      }
    });
  }

  private async handle(id: number, request: LatentRequest): Promise<void> {
    try {
      const result = await this.run(id, request);
      this.port.postMessage({ type: 'result', id, result });
    } catch (error) {
      this.port.postMessage({ type: 'error', id, message: firstLineOf(error) });
    } finally {
      this.cancelled.delete(id);
    }
  }

  private async ensureBackend(): Promise<BackendSelection> {
    this.backend ??= selectBackend(this.data.backend, { threads: this.data.threads }).then(
      (selection) => {
        this.port.postMessage({ type: 'backend', backend: selection.backend, notes: selection.notes });
        return selection;
      },
      (error: unknown) => {
        // The next request tries again rather than repeating this failure for good.
        this.backend = null;
        throw error;
      },
    );
    return this.backend;
  }

  private async generator(source: GeneratorSource): Promise<{ generator: Generator; info: GeneratorInfo }> {
    const { backend } = await this.ensureBackend();
    const key = `${source.checkpointFile}|${source.weights}`;
    let found = this.loaded.find((l) => l.key === key);
    if (!found) {
      const bytes = await fs.readFile(source.checkpointFile).catch((error: unknown) => {
        if ((error as { code?: unknown }).code === 'ENOENT') {
          throw new Error(
            `The checkpoint at step ${source.step} is gone (training keeps only the latest few). Choose another checkpoint.`,
          );
        }
        throw error;
      });
      let checkpoint;
      try {
        checkpoint = decodeCheckpoint(bytes);
      } catch (error) {
        if (!(error instanceof CheckpointDamaged)) throw error;
        throw new Error(
          `The checkpoint at step ${source.step} is damaged (${error.message}), so its generator cannot be used. Choose another checkpoint.`,
        );
      }
      found = { key, generator: Generator.fromCheckpoint(checkpoint, source.weights) };
      this.loaded.unshift(found);
      // Requests run one at a time, so no other request is using the one let go here.
      for (const old of this.loaded.splice(keptGenerators)) old.generator.dispose();
    }
    const { generator } = found;
    return {
      generator,
      info: { resolution: generator.resolution, latentSize: generator.latentSize, backend },
    };
  }

  private trainingImages(cacheFile: string): Promise<TrainingImages> {
    let images = this.training.get(cacheFile);
    if (!images) {
      images = readCacheFile(cacheFile).then((cache) => ({
        pixels: cache.pixels,
        count: cache.count,
        height: cache.height,
        width: cache.width,
      }));
      // One dataset at a time: a cache can be hundreds of MB.
      this.training.clear();
      this.training.set(cacheFile, images);
      images.catch(() => this.training.delete(cacheFile));
    }
    return images;
  }

  private async run(id: number, request: LatentRequest): Promise<LatentResult> {
    const { generator, info } = await this.generator(request.source);
    const size = generator.resolution;
    const latentSize = generator.latentSize;
    switch (request.kind) {
      case 'samples': {
        const images = await generator.generate(
          seedLatents(request.seeds, latentSize, request.truncation),
          request.seeds.length,
        );
        return { kind: 'samples', info, images: await encodePngFrames(toRgb(images, size)) };
      }
      case 'path': {
        const { latents, frames } = pathLatents(request.path, latentSize);
        const images = await generator.generate(latents, frames.length);
        const pngs = await encodePngFrames(toRgb(images, size));
        return { kind: 'path', info, frames: frames.map((f, i) => ({ ...f, png: pngs[i]! })) };
      }
      case 'export-animation': {
        const { latents, frames } = pathLatents(request.path, latentSize);
        const images = await generator.generate(latents, frames.length);
        const rgb = enlarge(toRgb(images, size), request.scale);
        const encoded = await encodeAnimation(rgb, request.format, request.frameMs);
        await writeFileAtomic(request.file, encoded.bytes);
        return {
          kind: 'file',
          info,
          file: request.file,
          bytes: encoded.bytes.byteLength,
          frames: frames.length,
          width: encoded.width,
          height: encoded.height,
        };
      }
      case 'export-sample': {
        const z = truncate(seedLatent(request.seed, latentSize), request.truncation);
        const rgb = enlarge(toRgb(await generator.generate(z, 1), size), request.scale);
        const png = await encodePngFrame(rgb, 0);
        await writeFileAtomic(request.file, png);
        return {
          kind: 'file',
          info,
          file: request.file,
          bytes: png.byteLength,
          frames: 1,
          width: rgb.width,
          height: rgb.height,
        };
      }
      case 'generate-set': {
        const result = await writeGeneratedSet({
          generator,
          source: request.source,
          seedStart: request.seedStart,
          count: request.count,
          truncation: request.truncation,
          folder: request.folder,
          description: request.description,
          cancelled: () => this.cancelled.has(id),
          onProgress: (done, total) => this.port.postMessage({ type: 'progress', id, done, total }),
        });
        return { kind: 'set', info, ...result };
      }
      case 'nearest': {
        const training = await this.trainingImages(request.cacheFile);
        const images = await generator.generate(
          seedLatents(request.seeds, latentSize, request.truncation),
          request.seeds.length,
        );
        const rgb = toRgb(images, size);
        const found = await nearestTrainingImages(rgb, training);
        const pngs = await encodePngFrames(rgb);
        const nearestPngs = await encodePngFrames(
          pick(
            training,
            found.map((f) => f.index),
          ),
        );
        return {
          kind: 'nearest',
          info,
          trainingCount: training.count,
          matches: found.map((f, i) => ({
            seed: request.seeds[i]!,
            png: pngs[i]!,
            index: f.index,
            nearestPng: nearestPngs[i]!,
            distance: f.distance,
          })),
        };
      }
      case 'export-model': {
        const weights = await generator.weights();
        const statistics = await generator.referenceStatistics();
        const model = buildLayersModel(
          generator.shape,
          weights,
          statistics,
          request.metadata,
          request.generatedBy,
        );
        const meta = JSON.stringify({ ...request.metadata, files: ['model.json', weightsFileName] }, null, 2);
        const files: [string, Uint8Array | string][] = [
          [weightsFileName, model.weights],
          ['model.json', model.modelJson],
          ['gan-studio.json', meta],
        ];
        for (const [name, content] of files) await writeFileAtomic(path.join(request.folder, name), content);
        return {
          kind: 'model',
          info,
          files: files.map(([name, content]) => ({
            name,
            bytes: typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength,
          })),
        };
      }
    }
  }
}

/** The training images at `indices`, packed as frames. */
function pick(training: TrainingImages, indices: number[]): RgbFrames {
  const d = training.width * training.height * 3;
  const rgb = new Uint8Array(indices.length * d);
  indices.forEach((index, i) => rgb.set(training.pixels.subarray(index * d, (index + 1) * d), i * d));
  return { rgb, width: training.width, height: training.height, count: indices.length };
}
