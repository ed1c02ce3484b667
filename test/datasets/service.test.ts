import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../shared/errors.js';
import type { DatasetStatus } from '../../shared/types.js';
import { fixtureExpect, makeManyImages, makeMessyFolder, pattern } from './fixtures.js';
import { Harness } from './helpers.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(async () => {
  await h.dispose();
});

/** Records the dataset's status at each 'dataset.status' event, as a UI would see it. */
function recordStatuses(): DatasetStatus[] {
  const seen: DatasetStatus[] = [];
  const previous = h.onEvent;
  h.onEvent = (e) => {
    previous?.(e);
    if (e.name === 'dataset.status') {
      const record = h.store.get(e.payload.datasetId);
      if (record) seen.push(record.status);
    }
  };
  return seen;
}

describe('DatasetService.add', () => {
  it('scans a messy folder in the background into a ready dataset with a report', async () => {
    const folder = h.folder('photos');
    await makeMessyFolder(folder);
    const summary = await h.service.add({ path: folder, minSize: 16 });
    expect(summary).toMatchObject({ name: 'photos', path: fs.realpathSync(folder), status: 'scanning' });
    await h.service.waitForScan(summary.id);

    const detail = h.service.get(summary.id);
    expect(detail).toMatchObject({ status: 'ready', imageCount: 10, skippedCount: 10, duplicateCount: 1 });
    expect(detail.error).toBeUndefined();
    expect(detail.report).toMatchObject({
      scannedFiles: 20,
      usable: 10,
      duplicates: { kept: 1, dropped: 1 },
    });

    const used = h.service.files({ id: summary.id, status: 'used', offset: 0, limit: 100 });
    expect(used.total).toBe(10);
    expect(used.files.map((f) => f.relPath).sort()).toEqual(Object.keys(fixtureExpect.used).sort());
    const skipped = h.service.files({ id: summary.id, status: 'skipped' });
    expect(Object.fromEntries(skipped.files.map((f) => [f.relPath, f.reason]))).toEqual(
      fixtureExpect.skipped,
    );
    expect(h.service.files({ id: summary.id, offset: 5, limit: 3 })).toMatchObject({
      total: 20,
      files: { length: 3 },
    });

    const progress = h.events.filter((e) => e.name === 'dataset.progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.payload).toMatchObject({
      datasetId: summary.id,
      phase: 'scanning',
      done: 20,
      total: 20,
      found: { imageCount: 10, skippedCount: 10, duplicateCount: 1 },
    });
    // The counts so far come with each report, for exactly the files done.
    for (const e of progress) {
      if (e.name !== 'dataset.progress') continue;
      const { done, found } = e.payload;
      expect(found!.imageCount + found!.skippedCount).toBe(done);
    }
    expect(h.events.at(-1)).toEqual({ name: 'dataset.status', payload: { datasetId: summary.id } });
    expect(h.service.list().map((d) => d.id)).toEqual([summary.id]);
  });

  it('returns the existing dataset for a folder added twice (also through a link)', async () => {
    const folder = h.folder('twice');
    await makeManyImages(folder, 3);
    const first = await h.service.add({ path: folder });
    fs.symlinkSync(folder, h.folder('link'));
    const second = await h.service.add({ path: h.folder('link'), name: 'Other name' });
    expect(second.id).toBe(first.id);
    await h.service.waitForScan(first.id);
  });

  it('rejects a missing path and a file with what to do', async () => {
    const missing = h.service.add({ path: h.folder('nope') });
    await expect(missing).rejects.toBeInstanceOf(ApiError);
    await expect(missing).rejects.toMatchObject({
      code: 'not_found',
      field: 'path',
      message: /does not exist.*Check the path/,
    });

    const file = h.folder('file.png');
    fs.writeFileSync(file, 'x');
    await expect(h.service.add({ path: file })).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'path',
      message: /is a file, not a folder.*Choose the folder/,
    });
    await expect(h.service.add({ path: '' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(h.service.add({ path: h.root, minSize: 0 })).rejects.toMatchObject({
      code: 'invalid_input',
      field: 'minSize',
    });
    expect(h.service.list()).toEqual([]);
  });

  it('marks a folder without images empty, saying why', async () => {
    const folder = h.folder('docs');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'README.txt'), 'hello');
    fs.writeFileSync(path.join(folder, 'data.csv'), 'a,b\n1,2\n');
    const { id } = await h.service.add({ path: folder });
    await h.service.waitForScan(id);
    const detail = h.service.get(id);
    expect(detail.status).toBe('empty');
    expect(detail.error).toMatch(/No usable images: 2 files were skipped \(2 not images\)\. Add images/);

    const bare = h.folder('bare');
    fs.mkdirSync(bare);
    const other = await h.service.add({ path: bare });
    await h.service.waitForScan(other.id);
    expect(h.service.get(other.id)).toMatchObject({
      status: 'empty',
      error: expect.stringMatching(/no files/),
    });
    await expect(h.service.buildCache({ id: other.id, resolution: 32 })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('cancels a scan mid-way', async () => {
    const folder = h.folder('many');
    await makeManyImages(folder, 300);
    let cancelled: boolean | undefined;
    let done = 0;
    h.onEvent = (e) => {
      if (cancelled === undefined && e.name === 'dataset.progress' && e.payload.done > 0) {
        done = e.payload.done;
        cancelled = h.service.cancelScan(e.payload.datasetId);
      }
    };
    const seen = recordStatuses();
    const { id } = await h.service.add({ path: folder });
    await h.service.waitForScan(id);
    expect(cancelled).toBe(true);
    // Cancelled after files were already inspected (on a fast machine possibly all of them, but
    // always before the result was committed).
    expect(done).toBeGreaterThan(0);
    expect(h.service.get(id)).toMatchObject({ status: 'cancelled', error: expect.stringMatching(/Rescan/) });
    expect(h.service.files({ id }).total).toBe(0);
    expect(h.service.cancelScan(id)).toBe(false);
    expect(seen).toEqual(['scanning', 'cancelled']);

    // A rescan then completes it.
    await h.service.rescan(id);
    await h.service.waitForScan(id);
    expect(h.service.get(id)).toMatchObject({ status: 'ready', imageCount: 300 });
  });

  it('fails, never ready, when the folder is removed during the scan', async () => {
    const folder = h.folder('vanishing');
    await makeManyImages(folder, 400);
    let removed = false;
    h.onEvent = (e) => {
      if (!removed && e.name === 'dataset.progress' && e.payload.done > 0) {
        removed = true;
        fs.rmSync(folder, { recursive: true, force: true });
      }
    };
    const seen = recordStatuses();
    const { id } = await h.service.add({ path: folder });
    await h.service.waitForScan(id);
    expect(removed).toBe(true);
    const detail = h.service.get(id);
    expect(detail.status).toBe('failed');
    expect(detail.error).toMatch(/disappeared during the scan.*rescan/i);
    expect(seen).toEqual(['scanning', 'failed']);
    expect(h.service.files({ id }).total).toBe(0);
  });

  it('keeps the last complete file list while a rescan runs, and keeps file ids', async () => {
    const folder = h.folder('stable');
    await makeManyImages(folder, 120);
    const { id } = await h.service.add({ path: folder });
    await h.service.waitForScan(id);
    const before = h.service.files({ id, limit: 5000 }).files;
    fs.rmSync(path.join(folder, 'part0', 'img00000.png'));

    let seenDuring: { status: DatasetStatus; total: number } | undefined;
    h.onEvent = (e) => {
      if (!seenDuring && e.name === 'dataset.progress' && e.payload.done > 0) {
        seenDuring = { status: h.service.get(id).status, total: h.service.files({ id }).total };
      }
    };
    await h.service.rescan(id);
    await h.service.waitForScan(id);
    expect(seenDuring).toEqual({ status: 'scanning', total: 120 });
    const after = h.service.files({ id, limit: 5000 }).files;
    expect(h.service.get(id)).toMatchObject({ status: 'ready', imageCount: 119 });
    expect(after).toEqual(before.filter((f) => f.relPath !== 'part0/img00000.png'));
  });

  it('restores the last complete scan when a rescan is cancelled', async () => {
    const folder = h.folder('restore');
    await makeManyImages(folder, 50);
    const { id } = await h.service.add({ path: folder });
    await h.service.waitForScan(id);
    await h.service.rescan(id);
    expect(h.service.get(id).status).toBe('scanning');
    h.service.cancelScan(id);
    await h.service.waitForScan(id);
    expect(h.service.get(id)).toMatchObject({ status: 'ready', imageCount: 50 });
  });

  it('recovers the scans a process that is gone left, and only those', async () => {
    const dead = `${os.hostname()}:999999999`;
    const never = h.store.create({
      name: 'never finished',
      path: h.folder('a'),
      minSize: 16,
      scanOwner: dead,
    });
    // Being scanned right now by another live process on this data folder (here: our parent).
    const live = h.store.create({
      name: 'scanning elsewhere',
      path: h.folder('b'),
      minSize: 16,
      scanOwner: `${os.hostname()}:${process.ppid}`,
    });
    const folder = h.folder('done');
    await makeManyImages(folder, 5);
    const { id } = await h.service.add({ path: folder });
    await h.service.waitForScan(id);
    h.store.update(id, { status: 'scanning', scanOwner: dead }); // a rescan cut short by a crash
    const { DatasetService } = await import('../../main/datasets/service.js');
    const restarted = new DatasetService({
      conn: h.conn,
      datasets: h.store,
      dataDir: h.dataDir,
      emit: () => {},
    });
    expect(restarted.get(never.record.id)).toMatchObject({
      status: 'cancelled',
      error: expect.stringMatching(/Rescan/),
    });
    expect(restarted.get(id)).toMatchObject({ status: 'ready', imageCount: 5 });
    expect(restarted.get(live.record.id)).toMatchObject({ status: 'scanning' });
    // Its scan cannot be cancelled from here, and is not restarted by a rescan from here.
    expect(() => restarted.cancelScan(live.record.id)).toThrow(
      expect.objectContaining({
        code: 'conflict',
        message: expect.stringMatching(/another GAN Studio process/),
      }),
    );
    expect((await restarted.rescan(live.record.id)).status).toBe('scanning');
    expect(h.store.get(live.record.id)!.scanOwner).toBe(`${os.hostname()}:${process.ppid}`);
    await restarted.close();
  });

  it('answers not_found for unknown ids', async () => {
    expect(() => h.service.get('ds-nope')).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => h.service.files({ id: 'ds-nope' })).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => h.service.cancelScan('ds-nope')).toThrow(expect.objectContaining({ code: 'not_found' }));
    await expect(h.service.rescan('ds-nope')).rejects.toMatchObject({ code: 'not_found' });
    await expect(h.service.buildCache({ id: 'ds-nope', resolution: 32 })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(h.service.thumbnail('ds-nope', 1)).rejects.toMatchObject({ code: 'not_found' });
    await expect(h.service.originalPath('ds-nope', 1)).rejects.toMatchObject({ code: 'not_found' });
    expect(h.service.remove('ds-nope')).toBe(false);
  });
});

describe('thumbnails, originals and removal', () => {
  it('makes a thumbnail once, serves originals inside the folder, and removes only app files', async () => {
    const folder = h.folder('photos');
    await makeMessyFolder(folder);
    const { id } = await h.service.add({ path: folder });
    await h.service.waitForScan(id);
    const files = h.service.files({ id, limit: 100 }).files;
    const photo = files.find((f) => f.relPath === 'a/b/photo2.png')!;
    const svg = files.find((f) => f.relPath === 'vector.svg')!;

    const thumb = await h.service.thumbnail(id, photo.id);
    expect(thumb.startsWith(path.join(h.dataDir, 'datasets', id, 'thumbs'))).toBe(true);
    expect(thumb.endsWith('.webp')).toBe(true);
    const { default: sharp } = await import('sharp');
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'webp', width: 160, height: 160 });
    const mtime = fs.statSync(thumb).mtimeMs;
    expect(await h.service.thumbnail(id, photo.id)).toBe(thumb);
    expect(fs.statSync(thumb).mtimeMs).toBe(mtime);
    expect(await sharp(await h.service.thumbnail(id, svg.id)).metadata()).toMatchObject({ width: 160 });
    // A BMP (no libvips loader) gets its thumbnail through bmp.ts.
    const bmp = files.find((f) => f.relPath === 'scan.bmp')!;
    const bmpThumb = sharp(await h.service.thumbnail(id, bmp.id));
    expect(await bmpThumb.metadata()).toMatchObject({ width: 160, height: 160 });
    // Its pixels are the BMP's: as sharp makes a thumbnail of the same pixels given raw.
    const expected = await sharp(pattern(40, 30, 12), { raw: { width: 40, height: 30, channels: 3 } })
      .resize(160, 160, { fit: 'cover' })
      .webp({ quality: 80 })
      .toBuffer();
    const [actualPixels, expectedPixels] = await Promise.all(
      [bmpThumb, sharp(expected)].map((image) => image.raw().toBuffer()),
    );
    const meanDiff =
      actualPixels!.reduce((sum, v, i) => sum + Math.abs(v - expectedPixels![i]!), 0) / actualPixels!.length;
    expect(meanDiff).toBeLessThan(1);

    const text = files.find((f) => f.relPath === 'notes.jpg')!;
    await expect(h.service.thumbnail(id, text.id)).rejects.toMatchObject({
      code: 'invalid_input',
      message: /skipped/,
    });

    expect(await h.service.originalPath(id, photo.id)).toBe(
      path.join(fs.realpathSync(folder), 'a', 'b', 'photo2.png'),
    );
    await expect(h.service.originalPath(id, 999_999)).rejects.toMatchObject({ code: 'not_found' });
    // A skipped file that is not an image is never served.
    await expect(h.service.originalPath(id, text.id)).rejects.toMatchObject({ code: 'not_found' });
    const cache = await h.service.buildCache({ id, resolution: 32 });
    expect(fs.existsSync(cache.file)).toBe(true);
    // A row pointing outside the folder (a tampered database) is refused.
    h.conn.prepare("UPDATE dataset_files SET rel_path = '../../etc/passwd' WHERE id = ?").run(photo.id);
    await expect(h.service.originalPath(id, photo.id)).rejects.toMatchObject({ code: 'not_found' });
    expect(h.service.remove(id)).toBe(true);
    await h.service.close();
    expect(fs.existsSync(path.join(h.dataDir, 'datasets', id))).toBe(false);
    expect(fs.existsSync(path.join(folder, 'a', 'b', 'photo2.png'))).toBe(true);
    expect(h.service.list()).toEqual([]);
    expect(h.conn.prepare('SELECT COUNT(*) AS n FROM dataset_files').get()).toEqual({ n: 0 });
  });

  it('keeps a browser-uploaded folder as its own copy, and deletes it with the dataset', async () => {
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#369' } })
      .png()
      .toBuffer();
    const upload = (relPath: string[], body: Buffer) =>
      h.service.importFile({
        importId: 'imp-abc123',
        relPath,
        bytes: body.length,
        body: Readable.from([body]),
      });
    const folder = await upload(['sub', 'a.png'], png);
    expect(folder).toBe(path.join(h.dataDir, 'imports', 'imp-abc123'));
    await expect(upload(['..', 'escape.png'], png)).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(upload(['b.png'], png.subarray(0, 10))).resolves.toBe(folder);
    await expect(
      h.service.importFile({
        importId: 'imp-abc123',
        relPath: ['c.png'],
        bytes: 999,
        body: Readable.from([png]),
      }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: /received \d+ of 999 bytes/ });
    expect(fs.readdirSync(folder).sort()).toEqual(['b.png', 'sub']); // nothing half-written left

    const { id } = await h.service.add({ path: folder });
    await h.service.waitForScan(id);
    expect(h.service.get(id)).toMatchObject({ status: 'ready', imageCount: 1 });
    expect(h.service.remove(id)).toBe(true);
    await h.service.close();
    expect(fs.existsSync(folder)).toBe(false);
  });

  it('deletes an uploaded copy and its thumbnails even while thumbnails are still being made', async () => {
    const importId = 'imp-race01';
    for (let i = 0; i < 40; i++) {
      const png = await sharp({
        create: { width: 48, height: 40, channels: 3, background: { r: i * 6, g: 255 - i * 6, b: 77 } },
      })
        .png()
        .toBuffer();
      await h.service.importFile({
        importId,
        relPath: [`${i}.png`],
        bytes: png.length,
        body: Readable.from([png]),
      });
    }
    const folder = path.join(h.dataDir, 'imports', importId);
    const { id } = await h.service.add({ path: folder });
    await h.service.waitForScan(id);
    const { files } = h.service.files({ id });
    expect(files).toHaveLength(40);
    const errors = vi.spyOn(console, 'error');
    // The grid asks for every thumbnail; the dataset is removed while they are made.
    const asked = files.map((f) => h.service.thumbnail(id, f.id).catch(() => null));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(h.service.remove(id)).toBe(true);
    await Promise.all(asked);
    await h.service.close();
    expect(fs.existsSync(folder)).toBe(false);
    expect(fs.existsSync(path.join(h.dataDir, 'datasets', id))).toBe(false);
    // Every clean-up finished on its first go (a failed one leaves files until the next start).
    expect(errors.mock.calls.filter(([m]) => String(m).includes('clean-up failed'))).toEqual([]);
    errors.mockRestore();
  });
});
