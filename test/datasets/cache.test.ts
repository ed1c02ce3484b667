import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CropMode } from '../../shared/config.js';
import { readCacheFile } from '../../main/datasets/cache-format.js';
import { cacheKey } from '../../main/datasets/cache.js';
import { ScanCache } from '../../main/datasets/scan-cache.js';
import { fixtureExpect, makeManyImages, makeMessyFolder, pattern, reference } from './fixtures.js';
import { Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(async () => {
  await h.dispose();
});

const white = { r: 255, g: 255, b: 255 };
async function addMessy(): Promise<{ id: string; folder: string }> {
  const folder = h.folder('photos');
  await makeMessyFolder(folder);
  const { id } = await h.service.add({ path: folder });
  await h.service.waitForScan(id);
  return { id, folder };
}

describe('training cache', () => {
  for (const [crop, resolution] of [
    ['center', 32],
    ['pad', 64],
    ['stretch', 32],
  ] as const) {
    it(`holds exactly sharp's ${crop} resize of every used file at ${resolution} px`, async () => {
      const { id, folder } = await addMessy();
      const built = await h.service.buildCache({ id, resolution, crop, flip: crop === 'pad' });
      expect(built.file).toBe(path.join(h.dataDir, 'datasets', id, `cache-${built.key}.bin`));
      const cache = await readCacheFile(built.file);
      expect(cache).toMatchObject({
        count: 10,
        height: resolution,
        width: resolution,
        channels: 3,
        flip: crop === 'pad',
      });
      expect(cache.meta).toMatchObject({
        key: built.key,
        datasetId: id,
        resolution,
        crop,
        flip: crop === 'pad',
        background: white,
      });
      // Images are in relPath order.
      const order = Object.keys(fixtureExpect.used).sort();
      const per = resolution * resolution * 3;
      for (const [i, relPath] of order.entries()) {
        const expected = await reference(
          path.join(folder, relPath),
          resolution,
          crop,
          relPath.endsWith('.svg') ? 24 : undefined,
        );
        const actual = Buffer.from(cache.pixels.subarray(i * per, (i + 1) * per));
        expect({ relPath, equal: actual.equals(expected) }).toEqual({ relPath, equal: true });
      }
      const detail = h.service.get(id);
      expect(detail.caches).toEqual([
        expect.objectContaining({
          key: built.key,
          resolution,
          crop,
          flip: crop === 'pad',
          count: 10,
          bytes: fs.statSync(built.file).size,
        }),
      ]);
      const caching = h.events.filter((e) => e.name === 'dataset.progress' && e.payload.phase === 'caching');
      expect(caching.at(-1)!.payload).toMatchObject({ done: 10, total: 10 });
    });
  }

  it('composites transparency on white and expands grey to RGB', async () => {
    const { id, folder } = await addMessy();
    const built = await h.service.buildCache({ id, resolution: 32, crop: 'stretch' });
    const cache = await readCacheFile(built.file);
    const order = Object.keys(fixtureExpect.used).sort();
    const per = 32 * 32 * 3;
    // rgba.png: its right half has alpha 64/255 over white, so it is lighter than the source.
    const rgba = cache.pixels.subarray(
      order.indexOf('rgba.png') * per,
      (order.indexOf('rgba.png') + 1) * per,
    );
    const source = pattern(48, 32, 4, 4);
    const px = (x: number, y: number) => rgba.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3);
    const src = (x: number, y: number) => source.subarray((y * 48 + x) * 4, (y * 48 + x) * 4 + 3);
    expect(Math.min(...px(30, 16))).toBeGreaterThan(Math.min(...src(45, 16)));
    // grey.png: all three channels equal.
    const grey = cache.pixels.subarray(
      order.indexOf('grey.png') * per,
      (order.indexOf('grey.png') + 1) * per,
    );
    for (let i = 0; i < grey.length; i += 3)
      expect(grey[i] === grey[i + 1] && grey[i] === grey[i + 2]).toBe(true);
    void folder;
  });

  it('reuses the cache when nothing changed and rebuilds when a file changed', async () => {
    const { id, folder } = await addMessy();
    const first = await h.service.buildCache({ id, resolution: 32 });
    const stat = fs.statSync(first.file);

    // Same call again, and after a rescan that found no change: same key, file untouched.
    expect(await h.service.buildCache({ id, resolution: 32 })).toEqual(first);
    await h.service.rescan(id);
    await h.service.waitForScan(id);
    const again = await h.service.buildCache({ id, resolution: 32 });
    expect(again).toEqual(first);
    const restat = fs.statSync(first.file);
    expect([restat.ino, restat.mtimeMs]).toEqual([stat.ino, stat.mtimeMs]);

    // Other settings are another cache beside it.
    const flipped = await h.service.buildCache({ id, resolution: 32, flip: true });
    expect(flipped.key).not.toBe(first.key);

    // A changed file: new key, new file, and the stale cache for these settings is gone.
    const target = path.join(folder, 'a', 'b', 'photo2.png');
    await sharp(pattern(40, 40, 42), { raw: { width: 40, height: 40, channels: 3 } })
      .png()
      .toFile(target);
    fs.utimesSync(target, new Date(), new Date(Date.now() + 5000));
    await h.service.rescan(id);
    await h.service.waitForScan(id);
    const rebuilt = await h.service.buildCache({ id, resolution: 32 });
    expect(rebuilt.key).not.toBe(first.key);
    expect(fs.existsSync(rebuilt.file)).toBe(true);
    expect(fs.existsSync(first.file)).toBe(false);
    const cache = await readCacheFile(rebuilt.file);
    const index = Object.keys(fixtureExpect.used).sort().indexOf('a/b/photo2.png');
    const per = 32 * 32 * 3;
    expect(
      Buffer.from(cache.pixels.subarray(index * per, (index + 1) * per)).equals(
        await reference(target, 32, 'center'),
      ),
    ).toBe(true);
    expect(
      h.service
        .get(id)
        .caches.map((c) => c.key)
        .sort(),
    ).toEqual([flipped.key, rebuilt.key].sort());
  });

  it('shares one build between concurrent calls and refuses bad settings', async () => {
    const { id } = await addMessy();
    const [a, b] = await Promise.all([
      h.service.buildCache({ id, resolution: 32 }),
      h.service.buildCache({ id, resolution: 32 }),
    ]);
    expect(a).toEqual(b);
    await expect(h.service.buildCache({ id, resolution: 48 })).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'resolution',
    });
    await expect(
      h.service.buildCache({ id, resolution: 32, crop: 'zoom' as CropMode }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
  });
});

describe('training cache built during the scan (add with cache settings)', () => {
  /** A folder of same-size PNGs (mosaic material) with a duplicate, a small one and a JPEG. */
  async function uniformFolder(folder: string): Promise<string[]> {
    const used: string[] = [];
    for (let i = 0; i < 40; i++) {
      const rel = `set${i % 3}/img${String(i).padStart(2, '0')}.png`;
      fs.mkdirSync(path.join(folder, path.dirname(rel)), { recursive: true });
      const channels = i % 5 === 0 ? 4 : 3;
      await sharp(pattern(96, 64, i, channels), { raw: { width: 96, height: 64, channels } })
        .png()
        .toFile(path.join(folder, rel));
      used.push(rel);
    }
    fs.copyFileSync(path.join(folder, 'set0/img00.png'), path.join(folder, 'set0/zz-copy.png'));
    await sharp(pattern(8, 8, 1), { raw: { width: 8, height: 8, channels: 3 } })
      .png()
      .toFile(path.join(folder, 'tiny.png'));
    await sharp(pattern(96, 64, 50), { raw: { width: 96, height: 64, channels: 3 } })
      .jpeg()
      .toFile(path.join(folder, 'set1/photo.jpg'));
    used.push('set1/photo.jpg');
    return used.sort();
  }

  it('is recorded with the scan and is the file buildCache makes, byte for byte', async () => {
    const folder = h.folder('uniform');
    const used = await uniformFolder(folder);
    const { id } = await h.service.add({ path: folder, cache: { resolution: 32, crop: 'center' } });
    await h.service.waitForScan(id);
    const detail = h.service.get(id);
    expect(detail).toMatchObject({ status: 'ready', imageCount: 41, duplicateCount: 1 });
    expect(detail.caches).toEqual([expect.objectContaining({ resolution: 32, crop: 'center', count: 41 })]);
    // buildCache finds it: no build, no caching progress.
    const built = await h.service.buildCache({ id, resolution: 32, crop: 'center' });
    expect(built.key).toBe(detail.caches[0]!.key);
    expect(h.events.some((e) => e.name === 'dataset.progress' && e.payload.phase === 'caching')).toBe(false);
    const cache = await readCacheFile(built.file);
    expect(cache.meta).toMatchObject({ key: built.key, datasetId: id, resolution: 32, crop: 'center' });
    const per = 32 * 32 * 3;
    for (const [i, relPath] of used.entries()) {
      const expected = await reference(path.join(folder, relPath), 32, 'center');
      const actual = Buffer.from(cache.pixels.subarray(i * per, (i + 1) * per));
      expect({ relPath, equal: actual.equals(expected) }).toEqual({ relPath, equal: true });
    }
    expect(fs.readdirSync(path.dirname(built.file)).filter((f) => f.includes('.tmp'))).toEqual([]);

    // The same folder in another data folder, scanned and then cached by the worker: same key,
    // same pixels.
    const other = new Harness();
    try {
      const added = await other.service.add({ path: folder });
      await other.service.waitForScan(added.id);
      const later = await other.service.buildCache({ id: added.id, resolution: 32, crop: 'center' });
      expect(later.key).toBe(built.key);
      expect(Buffer.from((await readCacheFile(later.file)).pixels).equals(Buffer.from(cache.pixels))).toBe(
        true,
      );
    } finally {
      await other.dispose();
    }
  });

  it('holds exactly sharp’s render of a messy folder too', async () => {
    const folder = h.folder('photos');
    await makeMessyFolder(folder);
    const { id } = await h.service.add({ path: folder, cache: { resolution: 64, crop: 'pad', flip: true } });
    await h.service.waitForScan(id);
    const [stored] = h.service.get(id).caches;
    expect(stored).toMatchObject({ resolution: 64, crop: 'pad', flip: true, count: 10 });
    const cache = await readCacheFile(path.join(h.dataDir, 'datasets', id, `cache-${stored!.key}.bin`));
    expect(cache.flip).toBe(true);
    const per = 64 * 64 * 3;
    for (const [i, relPath] of Object.keys(fixtureExpect.used).sort().entries()) {
      const expected = await reference(
        path.join(folder, relPath),
        64,
        'pad',
        relPath.endsWith('.svg') ? 24 : undefined,
      );
      const actual = Buffer.from(cache.pixels.subarray(i * per, (i + 1) * per));
      expect({ relPath, equal: actual.equals(expected) }).toEqual({ relPath, equal: true });
    }
  });

  it('leaves nothing behind when the scan is cancelled or the dataset removed', async () => {
    const folder = h.folder('many');
    await makeManyImages(folder, 200);
    let stop: (() => void) | undefined;
    h.onEvent = (e) => {
      if (stop && e.name === 'dataset.progress' && e.payload.done > 0) {
        stop();
        stop = undefined;
      }
    };
    const caches = (id: string) => {
      const dir = path.join(h.dataDir, 'datasets', id);
      return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('cache-')) : [];
    };

    stop = () => h.service.cancelScan(cancelled.id);
    const cancelled = await h.service.add({ path: folder, cache: { resolution: 32 } });
    await h.service.waitForScan(cancelled.id);
    expect(h.service.get(cancelled.id)).toMatchObject({ status: 'cancelled', caches: [] });
    expect(caches(cancelled.id)).toEqual([]);
    // The rescan that completes it builds the cache the worker way, when asked.
    await h.service.rescan(cancelled.id);
    await h.service.waitForScan(cancelled.id);
    expect(await h.service.buildCache({ id: cancelled.id, resolution: 32 })).toMatchObject({ count: 200 });
    h.service.remove(cancelled.id);

    const other = h.folder('many-again');
    fs.cpSync(folder, other, { recursive: true });
    stop = () => h.service.remove(removed.id);
    const removed = await h.service.add({ path: other, cache: { resolution: 32 } });
    await h.service.waitForScan(removed.id);
    await h.service.close(); // waits for the removal's clean-up
    expect(fs.existsSync(path.join(h.dataDir, 'datasets', removed.id))).toBe(false);
  });

  it('never fails the scan: a cache that cannot be written is left for buildCache', async () => {
    const folder = h.folder('uniform');
    await uniformFolder(folder);
    // The datasets folder is a file, so no cache file can be created.
    fs.mkdirSync(h.dataDir, { recursive: true });
    fs.writeFileSync(path.join(h.dataDir, 'datasets'), 'in the way');
    const { id } = await h.service.add({ path: folder, cache: { resolution: 32 } });
    await h.service.waitForScan(id);
    expect(h.service.get(id)).toMatchObject({ status: 'ready', imageCount: 41, caches: [] });
    fs.rmSync(path.join(h.dataDir, 'datasets'));
    expect(await h.service.buildCache({ id, resolution: 32 })).toMatchObject({ count: 41 });
  });

  it('drops a cache too large to load for training instead of writing it out', async () => {
    const folder = h.folder('uniform');
    const used = await uniformFolder(folder);
    const dir = path.join(h.root, 'caches');
    const cache = await ScanCache.start(sharp, {
      datasetId: 'd1',
      dir,
      settings: { resolution: 32, crop: 'center', flip: false, background: white },
      concurrency: 2,
      maxPixelBytes: 3 * 32 * 32 * 3,
    });
    for (const relPath of used.slice(0, 5)) {
      const file = { relPath, bytes: 1, mtimeMs: 1, hash: relPath };
      await cache.add(file, { relPath, absPath: path.join(folder, relPath) });
    }
    await expect(cache.finish()).rejects.toThrow('more images than a 32 px cache can hold');
    await cache.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses bad settings before adding anything', async () => {
    const folder = h.folder('uniform');
    fs.mkdirSync(folder);
    await expect(h.service.add({ path: folder, cache: { resolution: 48 } })).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'resolution',
    });
    expect(h.service.list()).toEqual([]);
  });
});

describe('cacheKey', () => {
  const files = [
    { relPath: 'b.png', bytes: 10, mtimeMs: 1, hash: 'h2' },
    { relPath: 'a.png', bytes: 5, mtimeMs: 2, hash: 'h1' },
  ];
  const settings = { resolution: 64, crop: 'center' as const, flip: false, background: white };
  it('depends on the files and settings, not on their order', () => {
    const key = cacheKey(files, settings);
    expect(cacheKey([...files].reverse(), settings)).toBe(key);
    expect(cacheKey(files, { ...settings, flip: true })).not.toBe(key);
    expect(cacheKey(files, { ...settings, resolution: 32 })).not.toBe(key);
    expect(cacheKey([{ ...files[0]!, mtimeMs: 3 }, files[1]!], settings)).not.toBe(key);
    expect(cacheKey([{ ...files[0]!, hash: 'other' }, files[1]!], settings)).not.toBe(key);
    expect(cacheKey(files.slice(1), settings)).not.toBe(key);
  });
});
