import fs from 'node:fs';
import path from 'node:path';
import sharp, { type OutputInfo, type SharpOptions } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CropMode } from '../../shared/config.js';
import type { ColorMode } from '../../shared/types.js';
import type { CacheSource } from '../../main/datasets/cache-protocol.js';
import { renderSources, type RenderStats } from '../../main/datasets/cache-render.js';
import { Channel } from '../../main/common/concurrency.js';
import { hasOnlyPlainChunks, mosaicPlan } from '../../main/datasets/mosaic.js';
import type { SharpFactory } from '../../main/common/sharp-loader.js';
import { pattern, reference } from './fixtures.js';
import { fileTempDir } from '../helpers/temp.js';

const white = { r: 255, g: 255, b: 255 };
/** Noisy content, so the resize kernels' every tap matters at the tile edges. */
function noisy(width: number, height: number, channels: number, seed: number): Buffer {
  const data = Buffer.alloc(width * height * channels);
  let state = seed * 2654435761;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const x = Math.floor(i / channels) % width;
    data[i] = (x * 3 + (i % channels) * 60 + (state >>> 27)) & 255;
  }
  return data;
}

type Kind = 'rgb' | 'rgba' | 'grey' | 'grey-alpha';

async function png(width: number, height: number, kind: Kind, seed: number): Promise<Buffer> {
  const channels = kind === 'rgba' || kind === 'grey-alpha' ? 4 : 3;
  let image = sharp(
    seed % 2 ? noisy(width, height, channels, seed) : pattern(width, height, seed, channels),
    {
      raw: { width, height, channels },
    },
  );
  if (kind === 'grey' || kind === 'grey-alpha') image = image.toColourspace('b-w');
  return image.png().toBuffer();
}

describe('mosaicPlan', () => {
  const plan = (width: number, height: number, resolution: number, crop: CropMode) =>
    mosaicPlan({ width, height, channels: 3 }, { resolution, crop, background: white })?.vshrink;
  it('takes shapes whose rows stay aligned, and leaves the rest to renderForCache', () => {
    expect(plan(128, 128, 64, 'center')).toBe(2);
    expect(plan(128, 96, 32, 'center')).toBe(3);
    expect(plan(256, 192, 32, 'stretch')).toBe(6);
    expect(plan(64, 64, 64, 'pad')).toBe(1);
    expect(plan(256, 256, 64, 'center')).toBe(4);
    expect(plan(100, 100, 64, 'center')).toBeUndefined(); // 1.5625
    expect(plan(160, 160, 32, 'center')).toBeUndefined(); // 5: box 2 then reduce 2.5
    expect(plan(32, 32, 64, 'center')).toBeUndefined(); // enlarging
    expect(plan(128, 96, 32, 'pad')).toBeUndefined(); // letterboxed
    expect(plan(1024, 1024, 64, 'center')).toBeUndefined(); // big: rendered alone
  });
});

describe('hasOnlyPlainChunks', () => {
  it('accepts a plain PNG and declines profiles, rotations, damage and other formats', async () => {
    const plain = await png(16, 16, 'rgb', 2);
    expect(hasOnlyPlainChunks(plain)).toBe(true);
    const image = sharp(pattern(16, 16, 3), { raw: { width: 16, height: 16, channels: 3 } });
    expect(hasOnlyPlainChunks(await image.clone().png().withIccProfile('p3').toBuffer())).toBe(false);
    expect(
      hasOnlyPlainChunks(
        await image
          .clone()
          .png()
          .withExif({ IFD0: { Software: 'x' } })
          .toBuffer(),
      ),
    ).toBe(false);
    expect(hasOnlyPlainChunks(plain.subarray(0, plain.length - 12))).toBe(false); // no IEND
    expect(hasOnlyPlainChunks(await image.clone().jpeg().toBuffer())).toBe(false);
  });
});

describe('renderSources', () => {
  let root: string;
  let sources: CacheSource[];

  // Shapes of every kind the mosaics take (several of each), and some they leave alone.
  const shapes: [number, number, Kind, number][] = [
    [64, 64, 'rgb', 5],
    [128, 96, 'rgb', 4],
    [96, 128, 'rgba', 3], // cover at 32 px: factor 3 does not divide 128 rows, so alone
    [256, 256, 'grey', 3],
    [64, 32, 'grey-alpha', 3],
    [192, 192, 'rgb', 3],
    [48, 48, 'rgb', 2],
    [160, 160, 'rgba', 2],
    [96, 64, 'rgb', 1],
  ];

  beforeAll(async () => {
    root = fileTempDir('gs-mosaic-');
    sources = [];
    let seed = 0;
    const add = (relPath: string, format: string, mode: ColorMode, width: number, height: number) =>
      sources.push({ relPath, absPath: path.join(root, relPath), format, mode, width, height });
    for (const [w, h, kind, count] of shapes) {
      for (let i = 0; i < count; i++) {
        const relPath = `${w}x${h}-${kind}-${i}.png`;
        fs.writeFileSync(path.join(root, relPath), await png(w, h, kind, ++seed));
        add(relPath, 'png', kind, w, h);
      }
    }
    // Among them: a JPEG, a PNG cut short, a 16-bit PNG and PNGs with a colour profile, all of
    // the most common shape. Each is rendered alone, its pixels (or its error) as before.
    await sharp(pattern(64, 64, 99), { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg()
      .toFile(path.join(root, 'photo.jpg'));
    add('photo.jpg', 'jpeg', 'rgb', 64, 64);
    const whole = await png(64, 64, 'rgb', 77);
    fs.writeFileSync(path.join(root, 'cut.png'), whole.subarray(0, whole.length / 2));
    add('cut.png', 'png', 'rgb', 64, 64);
    await sharp(noisy(64, 64, 3, 5), { raw: { width: 64, height: 64, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toFile(path.join(root, 'deep.png'));
    add('deep.png', 'png', '16-bit', 64, 64);
    for (const name of ['p3-a.png', 'p3-b.png']) {
      await sharp(noisy(64, 64, 3, name.length + 40), { raw: { width: 64, height: 64, channels: 3 } })
        .png()
        .withIccProfile('p3')
        .toFile(path.join(root, name));
      add(name, 'png', 'rgb', 64, 64);
    }
    // Interleave them so that batches mix shapes and kinds, as real folders do.
    sources.sort((a, b) => (a.relPath.split('-').at(-1)! < b.relPath.split('-').at(-1)! ? -1 : 1));
  });

  async function renderAll(
    factory: SharpFactory,
    list: AsyncIterable<CacheSource> | Iterable<CacheSource>,
    resolution: number,
    crop: CropMode,
    stats: RenderStats,
  ) {
    const out = [];
    for await (const r of renderSources(factory, list, { resolution, crop, background: white }, 4, stats))
      out.push(r);
    return out;
  }

  async function expectExact(
    rendered: Awaited<ReturnType<typeof renderAll>>,
    resolution: number,
    crop: CropMode,
  ) {
    expect(rendered.map((r) => r.relPath)).toEqual(sources.map((s) => s.relPath));
    for (const [i, source] of sources.entries()) {
      const result = rendered[i]!;
      if (source.relPath === 'cut.png') {
        expect('error' in result).toBe(true); // as renderForCache fails on it
        continue;
      }
      const expected = await reference(source.absPath, resolution, crop);
      const equal = 'pixels' in result && result.pixels.equals(expected);
      expect({ relPath: source.relPath, equal }).toEqual({ relPath: source.relPath, equal: true });
    }
  }

  // How many images of the folder above each setting can take from mosaics.
  for (const [crop, resolution, inMosaics] of [
    ['center', 32, 18],
    ['center', 64, 11],
    ['stretch', 32, 21],
    ['pad', 32, 11],
  ] as const) {
    it(`renders every image exactly as sharp alone does (${crop}, ${resolution} px)`, async () => {
      const stats: RenderStats = { mosaicImages: 0, mosaicsOff: false };
      await expectExact(await renderAll(sharp, sources, resolution, crop, stats), resolution, crop);
      expect(stats.mosaicsOff).toBe(false);
      expect(stats.mosaicImages).toBe(inMosaics);
    });
  }

  it('takes sources as they arrive, through a bounded channel', async () => {
    const channel = new Channel<CacheSource>(2);
    const stats: RenderStats = { mosaicImages: 0, mosaicsOff: false };
    const rendering = renderAll(sharp, channel, 32, 'stretch', stats);
    for (const source of sources) await channel.push(source);
    channel.close();
    await expectExact(await rendering, 32, 'stretch');
    expect(stats.mosaicImages).toBe(21);
  });

  it('turns mosaics off, still rendering exactly, when a mosaic does not match sharp alone', async () => {
    // A libvips whose resize treats the stacked tiles differently: every mosaic comes out wrong.
    const skewed = ((input: unknown, options?: { raw?: unknown }) => {
      const image = sharp(input as Buffer, options as SharpOptions);
      if (!options?.raw) return image;
      const toBuffer = image.toBuffer.bind(image) as (o: { resolveWithObject: true }) => Promise<{
        data: Buffer;
        info: OutputInfo;
      }>;
      Object.assign(image, {
        toBuffer: async (o: { resolveWithObject: true }) => {
          const out = await toBuffer(o);
          for (let i = 0; i < out.data.length; i += 7) out.data[i]! ^= 1;
          return out;
        },
      });
      return image;
    }) as unknown as SharpFactory;
    const stats: RenderStats = { mosaicImages: 0, mosaicsOff: false };
    await expectExact(await renderAll(skewed, sources, 32, 'center', stats), 32, 'center');
    expect(stats).toMatchObject({ mosaicsOff: true, mosaicImages: 0 });
  });
});
