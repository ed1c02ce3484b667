import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { skipReasons } from '../../shared/types.js';
import { buildReport } from '../../main/datasets/report.js';
import type { ScanRow } from '../../main/store/scan-row.js';
import { RootUnreadableError, scanFolder } from '../../main/datasets/scan.js';
import { sniff } from '../../main/datasets/sniff.js';
import { fixtureExpect, fixtureMinSize, makeMessyFolder } from './fixtures.js';
import { fileTempDir } from '../helpers/temp.js';
import { writePngs } from '../helpers/images.js';

async function collect(root: string, minSize = fixtureMinSize): Promise<ScanRow[]> {
  const rows: ScanRow[] = [];
  for await (const row of scanFolder(root, { minSize })) rows.push(row);
  return rows;
}

describe('scanFolder on a messy folder', () => {
  let root: string;
  let rows: ScanRow[];

  beforeAll(async () => {
    root = path.join(fileTempDir('gs-scan-'), 'photos');
    await makeMessyFolder(root);
    rows = await collect(root);
  });

  it('finds every file once, in folder order, and nothing hidden, system or looped', () => {
    const expected = [...Object.keys(fixtureExpect.used), ...Object.keys(fixtureExpect.skipped)].sort();
    expect(rows.map((r) => r.relPath).sort()).toEqual(expected);
    // Folder order: depth first, which is relative paths sorted by code unit.
    expect(rows.map((r) => r.relPath)).toEqual(expected);
    expect(rows.map((r) => r.relPath)).toEqual([
      'README.txt',
      'a/b/c/photo3.webp',
      'a/b/photo2.png',
      'a/photo1.jpg',
      'broken-link.png',
      'cmyk.jpg',
      'copy-of-photo1.jpg',
      'cut.bmp',
      'deep16.png',
      'empty.png',
      'grey-alpha.png',
      'grey.png',
      'notes.jpg',
      'old.bmp',
      'rgba.png',
      'scan.bmp',
      'sound.wav',
      'tiny.png',
      'truncated.jpg',
      'vector.svg',
    ]);
  });

  it('lists a folder after files and folders whose names sort before its "/"', async () => {
    const dir = fileTempDir('gs-order-');
    for (const rel of ['set/x.txt', 'set-2/y.txt', 'a.txt', 'a/b.txt', 'a b/c.txt'])
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    for (const rel of ['set/x.txt', 'set-2/y.txt', 'a.txt', 'a/b.txt', 'a b/c.txt'])
      fs.writeFileSync(path.join(dir, rel), 'text');
    const order = (await collect(dir)).map((r) => r.relPath);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(order).toEqual(['a b/c.txt', 'a.txt', 'a/b.txt', 'set-2/y.txt', 'set/x.txt']);
    expect(order).toEqual([...order].sort());
  });

  it('uses the good images with their colour mode', () => {
    for (const [relPath, mode] of Object.entries(fixtureExpect.used)) {
      const row = rows.find((r) => r.relPath === relPath)!;
      expect({ relPath, status: row.status, mode: row.mode }).toEqual({ relPath, status: 'used', mode });
      expect(row.hash).toMatch(/^[0-9a-f]{40}$/);
      expect(row.width).toBeGreaterThan(0);
    }
    const photo = rows.find((r) => r.relPath === 'a/photo1.jpg')!;
    expect(photo).toMatchObject({ width: 64, height: 48, format: 'jpeg' });
    expect(rows.find((r) => r.relPath === 'vector.svg')).toMatchObject({
      format: 'svg',
      width: 24,
      height: 24,
    });
  });

  it('skips each bad file with its reason and a detail for the user', () => {
    for (const [relPath, reason] of Object.entries(fixtureExpect.skipped)) {
      const row = rows.find((r) => r.relPath === relPath)!;
      expect({ relPath, status: row.status, reason: row.reason }).toEqual({
        relPath,
        status: 'skipped',
        reason,
      });
      expect(row.detail).toBeTruthy();
    }
    expect(rows.find((r) => r.relPath === 'copy-of-photo1.jpg')!.detail).toContain('a/photo1.jpg');
    expect(rows.find((r) => r.relPath === 'notes.jpg')!.detail).toContain('text');
    expect(rows.find((r) => r.relPath === 'tiny.png')!.detail).toContain('8×8');
  });

  it('reports exact counts', () => {
    const report = buildReport(rows, fixtureMinSize, 5);
    expect(report.scannedFiles).toBe(20);
    expect(report.usable).toBe(10);
    const skipped = Object.fromEntries(skipReasons.map((r) => [r, 0]));
    for (const reason of Object.values(fixtureExpect.skipped)) skipped[reason]!++;
    expect(report.skipped).toEqual(skipped);
    expect(report.modes).toEqual({ rgb: 4, rgba: 2, grey: 1, 'grey-alpha': 1, cmyk: 1, '16-bit': 1 });
    expect(report.formats).toEqual(fixtureExpect.formats);
    expect(report.duplicates).toEqual({ kept: 1, dropped: 1 });
    expect(report.sizes.reduce((s, b) => s + b.count, 0)).toBe(10);
    expect(report.sizes.find((b) => b.label === '≤64')!.count).toBe(10);
    expect(report.aspectRatios.reduce((s, b) => s + b.count, 0)).toBe(10);
    expect(report.modeHandling.rgba).toMatch(/white/);
    expect(report.minSize).toBe(fixtureMinSize);
  });

  it('reuses unchanged rows on a rescan instead of decoding again', async () => {
    const previous = new Map(rows.map((r) => [r.relPath, r]));
    // A planted row the scan could only have taken from `previous`: proves nothing was decoded.
    previous.set('grey.png', { ...previous.get('grey.png')!, width: 999, height: 999 });
    const again: ScanRow[] = [];
    for await (const row of scanFolder(root, { minSize: fixtureMinSize, previous: (p) => previous.get(p) }))
      again.push(row);
    expect(again.find((r) => r.relPath === 'grey.png')!.width).toBe(999);
    expect(again.map((r) => [r.relPath, r.reason])).toEqual(rows.map((r) => [r.relPath, r.reason]));
  });

  it('treats SVG as usable whatever its intrinsic size', async () => {
    const strict = await collect(root, 100);
    expect(strict.find((r) => r.relPath === 'vector.svg')!.status).toBe('used');
    expect(strict.find((r) => r.relPath === 'a/photo1.jpg')!.reason).toBe('too-small');
  });

  it('fails on a missing root and stops on abort', async () => {
    await expect(collect(path.join(root, 'nope'))).rejects.toBeInstanceOf(RootUnreadableError);
    const controller = new AbortController();
    controller.abort();
    const run = async () => {
      for await (const _ of scanFolder(root, { minSize: 16, signal: controller.signal })) void _;
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('sniff', () => {
  const bytes = (s: string) => Buffer.from(s, 'latin1');
  it('tells images, unsupported images and other files apart by content', () => {
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'x.txt').kind).toBe('image');
    expect(sniff(bytes('hello, world'), 'x.png')).toEqual({ kind: 'other', label: 'text' });
    expect(sniff(bytes('<?xml version="1.0"?><!-- c --><svg xmlns="x">'), 'x.xml')).toEqual({
      kind: 'image',
      label: 'SVG',
    });
    expect(sniff(bytes('8BPS\0\x01'), 'x.psd').kind).toBe('unsupported-image');
    expect(sniff(bytes('\0\0\0\x18ftypheic\0\0\0\0mif1heic'), 'x.heic')).toEqual({
      kind: 'unsupported-image',
      label: 'HEIC',
    });
    expect(sniff(bytes('\0\0\0\x1cftypavif\0\0\0\0avifmif1'), 'x.avif')).toEqual({
      kind: 'image',
      label: 'AVIF',
    });
    expect(sniff(bytes('\0\0\0\x18ftypisom\0\0\0\0isommp41'), 'x.mp4').kind).toBe('other');
    expect(sniff(bytes('%PDF-1.7'), 'x.pdf').kind).toBe('other');
    expect(sniff(Buffer.from([0x00, 0x01, 0x02, 0x03, 0x80, 0x00]), 'x.bin').kind).toBe('unknown');
  });
});

describe('scanFolder on names that are not UTF-8', () => {
  it('says what is wrong with the name, not ENOENT', async () => {
    const dir = fileTempDir('gs-latin1-');
    try {
      const png = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'resources', 'icon.png'));
      // "café.png" and a folder "Ä" written by a system that used Latin-1: bytes that are not UTF-8.
      const bytes = (...parts: (string | number[])[]) =>
        Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
      fs.writeFileSync(bytes(`${dir}/caf`, [0xe9], '.png'), png);
      fs.mkdirSync(bytes(`${dir}/`, [0xc4]));
      fs.writeFileSync(bytes(`${dir}/`, [0xc4], '/inside.png'), png);
      fs.writeFileSync(path.join(dir, 'fine.png'), png);
      const rows = await collect(dir);
      const skipped = Object.fromEntries(
        rows.filter((r) => r.status === 'skipped').map((r) => [r.relPath, r]),
      );
      expect(Object.keys(skipped).sort()).toEqual(['\\xc4/', 'caf\\xe9.png']);
      for (const row of Object.values(skipped)) {
        expect(row.reason).toBe('unreadable');
        expect(row.detail).toMatch(/name is not valid UTF-8.*Rename it, then rescan/);
        expect(row.detail).not.toMatch(/ENOENT/);
      }
      expect(rows.find((r) => r.relPath === 'fine.png')?.status).toBe('used');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scanFolder on a generated data set', () => {
  it("passes over the studio's manifest, and only that: a user's manifest.json is still a skipped file", async () => {
    const dir = fileTempDir('gs-generated-');
    try {
      await writePngs(dir, 2, (i) => ({ r: 40 * i, g: 90, b: 200 }), {
        name: (i) => ['seed-1.png', 'older-set/seed-2.png'][i]!,
      });
      // A set as the explorer writes it (generate-set.ts), one inside another folder, and a
      // manifest.json of the user's own beside them.
      const manifest = (seed: number) =>
        JSON.stringify(
          { format: 'gan-studio-generated-set', version: 1, files: [{ file: `seed-${seed}.png`, seed }] },
          null,
          1,
        );
      fs.writeFileSync(path.join(dir, 'manifest.json'), manifest(1));
      fs.writeFileSync(path.join(dir, 'older-set', 'manifest.json'), manifest(2));
      fs.mkdirSync(path.join(dir, 'mine'));
      fs.writeFileSync(path.join(dir, 'mine', 'manifest.json'), JSON.stringify({ format: 'my-own' }));
      const rows = await collect(dir);
      expect(rows.map((r) => [r.relPath, r.status, r.reason])).toEqual([
        ['mine/manifest.json', 'skipped', 'not-an-image'],
        ['older-set/seed-2.png', 'used', null],
        ['seed-1.png', 'used', null],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
