import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../common/atomic-files.js';
import { generatedSetFormat } from '../../common/generated-set.js';
import type { Generator } from '../../training/engine/generator.js';
import { seedLatents } from '../../training/engine/latent.js';
import { manifestFileName, setFileName } from '../files.js';
import type { GeneratorSource, SetSpec } from '../protocol.js';
import { encodePngFrames, toRgb } from './images.js';

/**
 * A generated data set: `count` PNGs, one per seed from `seedStart`, then `manifest.json` listing
 * each file with its seed, truncation, run and checkpoint step. The manifest is written last and
 * atomically, so a folder with a manifest is complete and one without it is not (a cancelled or
 * failed generation never writes one).
 *
 * Images are streamed: one batch is generated while the previous one is encoded and written on
 * libvips' and libuv's threads, so memory stays at two batches whatever the count (100,000 works
 * as 100 does).
 */

/** Images per batch: larger batches spend less of the work on the reference batch (generator.ts). */
export function setBatch(resolution: number): number {
  return resolution <= 32 ? 256 : resolution <= 64 ? 128 : 64;
}

/** The first batch: small, so that progress and a rate show soon after the generator is ready. */
const firstBatch = 32;

/**
 * The sizes of a set's batches: from firstBatch, doubling up to setBatch. A set of a few hundred
 * images is then reported a few times on its way rather than once at its end, at little cost to
 * a large one (whose batches are soon full size).
 */
export function setBatches(resolution: number, count: number): number[] {
  const full = setBatch(resolution);
  const sizes: number[] = [];
  for (let start = 0, size = Math.min(firstBatch, full); start < count; size = Math.min(size * 2, full)) {
    const n = Math.min(size, count - start);
    sizes.push(n);
    start += n;
  }
  return sizes;
}

export interface SetJob extends SetSpec {
  generator: Generator;
  source: GeneratorSource;
  /** Read between batches: true stops the job. */
  cancelled(): boolean;
  onProgress(done: number, total: number): void;
}

export interface ManifestEntry {
  file: string;
  seed: number;
  truncation: number;
  run: string;
  step: number;
}

export interface SetManifest {
  /** First: a scan of the set's folder knows the manifest by it (common/generated-set.ts). */
  format: typeof generatedSetFormat;
  version: 1;
  generatedBy: string;
  createdAt: string;
  run: { id: string; name: string };
  checkpoint: { step: number; weights: 'ema' | 'g' };
  resolution: number;
  latentSize: number;
  /** How a seed becomes a latent, so the set can be made again elsewhere. */
  latent: string;
  truncation: number;
  count: number;
  files: ManifestEntry[];
}

export async function writeGeneratedSet(job: SetJob): Promise<{ count: number; cancelled: boolean }> {
  const { generator, source, count, folder } = job;
  const size = generator.resolution;
  let done = 0;
  let writing: Promise<void> = Promise.resolve();
  let start = 0;
  for (const n of setBatches(size, count)) {
    if (job.cancelled()) break;
    const seeds = Array.from({ length: n }, (_, i) => job.seedStart + start + i);
    const images = await generator.generate(seedLatents(seeds, generator.latentSize, job.truncation), n, n);
    // The previous batch must be on disk before this one starts writing: two batches at most in memory.
    await writing;
    const frames = toRgb(images, size);
    writing = (async () => {
      const pngs = await encodePngFrames(frames);
      await Promise.all(pngs.map((png, i) => fs.writeFile(path.join(folder, setFileName(seeds[i]!)), png)));
      done += n;
      job.onProgress(done, count);
    })();
    // Awaited at the next batch or after the loop; kept from being reported as unhandled meanwhile.
    writing.catch(() => undefined);
    start += n;
  }
  await writing;
  if (done < count) return { count: done, cancelled: true };

  const manifest: SetManifest = {
    format: generatedSetFormat,
    version: 1,
    generatedBy: job.description.generatedBy,
    createdAt: new Date().toISOString(),
    run: job.description.run,
    checkpoint: { step: source.step, weights: source.weights },
    resolution: size,
    latentSize: generator.latentSize,
    latent:
      "z = N(0, I) of size latentSize drawn by GAN Studio's Rng.seeded(seed, 'latent') (xoshiro128**, Box–Muller), times truncation",
    truncation: job.truncation,
    count,
    files: Array.from({ length: count }, (_, i) => {
      const seed = job.seedStart + i;
      return {
        file: setFileName(seed),
        seed,
        truncation: job.truncation,
        run: source.runId,
        step: source.step,
      };
    }),
  };
  await writeFileAtomic(path.join(folder, manifestFileName), JSON.stringify(manifest, null, 1));
  return { count, cancelled: false };
}
