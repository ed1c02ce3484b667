import fs from 'node:fs/promises';
import { firstLineOf } from '../../shared/errors.js';
import type { CacheWriter } from './cache-format.js';
import type { CacheSource } from './cache-protocol.js';
import { orderedMap, Semaphore } from '../common/concurrency.js';
import { renderForCache, type RenderOptions } from './image-pipeline.js';
import {
  decodeForMosaic,
  hasOnlyPlainChunks,
  mosaicCandidate,
  mosaicMaxBytes,
  mosaicPlan,
  renderMosaic,
  type MosaicPlan,
  type RawImage,
} from './mosaic.js';
import type { SharpFactory } from '../common/sharp-loader.js';

/** Sources taken together: enough to spread a mosaic's cost thin, few enough to stay small. */
const batchSize = 32;

export type Rendered = { pixels: Buffer } | { error: unknown };

/** How a run went, for tests and benchmarks. */
export interface RenderStats {
  /** Images whose pixels came from a mosaic. */
  mosaicImages: number;
  /** Whether a mosaic failed its check against renderForCache (mosaics were then turned off). */
  mosaicsOff: boolean;
}

/** A source to render, with its pixels when the scan has just decoded them for a mosaic. */
export type PendingSource = CacheSource & { pixels?: RawImage };

/** Consecutive sources, at most batchSize and (for mosaic candidates) mosaicMaxBytes of pixels. */
async function* batches(sources: AsyncIterable<PendingSource> | Iterable<PendingSource>) {
  let batch: PendingSource[] = [];
  let bytes = 0;
  for await (const source of sources) {
    const size = mosaicCandidate(source) ? source.width! * source.height! * 4 : 0;
    if (batch.length >= batchSize || (batch.length > 0 && bytes + size > mosaicMaxBytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(source);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

interface Decoded {
  plan: MosaicPlan;
  data: Buffer;
}

/**
 * Renders every source for the cache, yielding in source order each one's pixels (exactly
 * cachePipeline's output) or why it could not be rendered.
 *
 * A sharp call costs about a millisecond of fixed overhead however small its image, and a cache
 * render pays it twice over (decode, then resize). So plain small PNGs (most datasets) are decoded
 * by sharp one by one and resized in mosaics, many to a sharp call (see renderMosaic); everything
 * else is rendered alone by renderForCache, so its pixels and its errors are what they always
 * were. The first mosaic of each shape is checked tile by tile against renderForCache of the same
 * files; a mismatch (a libvips whose resize works differently) turns mosaics off for the rest of
 * the build.
 */
export async function* renderSources(
  sharp: SharpFactory,
  sources: AsyncIterable<PendingSource> | Iterable<PendingSource>,
  render: RenderOptions,
  concurrency: number,
  stats: RenderStats = { mosaicImages: 0, mosaicsOff: false },
): AsyncGenerator<Rendered & { relPath: string }> {
  const calls = new Semaphore(concurrency);
  const verified = new Set<string>();
  let mosaics = true;

  const alone = (source: CacheSource): Promise<Rendered> =>
    calls
      .run(() => renderForCache(sharp, source, render))
      .then(
        (pixels) => ({ pixels }),
        (error: unknown) => ({ error }),
      );

  /** A mosaic candidate's pixels and plan, or undefined to render it alone. */
  const decode = async (source: PendingSource): Promise<Decoded | undefined> => {
    if (!mosaics || !mosaicCandidate(source)) return undefined;
    let image = source.pixels;
    if (!image) {
      try {
        const file = await fs.readFile(source.absPath);
        if (!hasOnlyPlainChunks(file)) return undefined;
        image = await calls.run(() => decodeForMosaic(sharp, file));
      } catch {
        return undefined; // changed or unreadable since the scan: renderForCache says why
      }
    }
    const plan = mosaicPlan(image, render);
    return plan && { plan, data: image.data };
  };

  /** Renders a group of one plan in mosaics; tiles that could not be trusted are left undefined. */
  const renderGroup = async (plan: MosaicPlan, group: { source: CacheSource; data: Buffer }[]) => {
    const out: (Buffer | undefined)[] = [];
    const perMosaic = Math.max(
      1,
      Math.floor(mosaicMaxBytes / (plan.width * (plan.height + 2 * plan.pad) * plan.channels)),
    );
    for (let start = 0; start < group.length; start += perMosaic) {
      if (!mosaics) break;
      const part = group.slice(start, start + perMosaic);
      let tiles: Buffer[] | undefined;
      try {
        tiles = await calls.run(() =>
          renderMosaic(
            sharp,
            plan,
            part.map((g) => g.data),
            render,
          ),
        );
      } catch {
        tiles = undefined;
      }
      if (tiles && mosaics && !verified.has(plan.key)) {
        // The top tile, one with neighbours on both sides, and the bottom one.
        const probes = [...new Set([0, Math.min(1, part.length - 1), part.length - 1])];
        const expected = await Promise.all(probes.map((i) => alone(part[i]!.source)));
        const same = probes.every((p, k) => {
          const e = expected[k]!;
          return 'pixels' in e && e.pixels.equals(tiles![p]!);
        });
        if (same) verified.add(plan.key);
        else mosaics = false;
        stats.mosaicsOff = !mosaics;
      }
      if (mosaics && tiles) {
        out.push(...tiles);
        stats.mosaicImages += tiles.length;
      } else out.length = start + part.length; // left for renderForCache
    }
    return out;
  };

  const renderBatch = async (batch: PendingSource[]): Promise<Rendered[]> => {
    const decoded = await Promise.all(batch.map(decode));
    const groups = new Map<string, { plan: MosaicPlan; members: number[] }>();
    decoded.forEach((d, i) => {
      if (!d) return;
      const group = groups.get(d.plan.key) ?? { plan: d.plan, members: [] };
      group.members.push(i);
      groups.set(d.plan.key, group);
    });
    const grouped = [...groups.values()].filter((g) => g.members.length > 1); // one alone gains nothing
    const inMosaic = new Set(grouped.flatMap((g) => g.members));
    const results: Rendered[] = [];
    await Promise.all([
      ...grouped.map(async ({ plan, members }) => {
        const tiles = await renderGroup(
          plan,
          members.map((i) => ({ source: batch[i]!, data: decoded[i]!.data })),
        );
        await Promise.all(
          members.map(async (i, k) => {
            const pixels = tiles[k];
            results[i] = pixels ? { pixels } : await alone(batch[i]!);
          }),
        );
      }),
      ...batch.map(async (source, i) => {
        if (!inMosaic.has(i)) results[i] = await alone(source);
      }),
    ]);
    return results;
  };

  // Two batches in flight: one decoding while the other's mosaics are in libvips.
  for await (const batch of orderedMap(batches(sources), async (b) => ({ b, out: await renderBatch(b) }), {
    concurrency: 2,
    window: 2,
  }))
    for (const [i, rendered] of batch.out.entries()) yield { relPath: batch.b[i]!.relPath, ...rendered };
}

export interface FilledCache {
  /** The files whose images were appended, in order. */
  written: string[];
  /** Files that could not be rendered (changed or removed since the scan), left out. */
  skipped: { relPath: string; message: string }[];
}

/** Appends every rendered image to a cache file in order; reports progress after each. */
export async function fillCache(
  writer: CacheWriter,
  rendered: AsyncIterable<Rendered & { relPath: string }>,
  onProgress?: (done: number) => void,
): Promise<FilledCache> {
  const filled: FilledCache = { written: [], skipped: [] };
  let done = 0;
  for await (const result of rendered) {
    if ('pixels' in result) {
      await writer.append(result.pixels);
      filled.written.push(result.relPath);
    } else filled.skipped.push({ relPath: result.relPath, message: firstLineOf(result.error) });
    onProgress?.(++done);
  }
  return filled;
}
