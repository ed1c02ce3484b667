import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CacheFormatError,
  CacheWriter,
  decodeCache,
  decodeHeader,
  encodeCache,
  readCacheFile,
  type CacheMeta,
} from '../../main/datasets/cache-format.js';
import { fileTempDir } from '../helpers/temp.js';

const meta: CacheMeta = {
  key: 'abc123',
  datasetId: 'ds-1',
  resolution: 4,
  crop: 'center',
  flip: true,
  background: { r: 255, g: 255, b: 255 },
  createdAt: 1_700_000_000_000,
};

const dir = fileTempDir('gs-format-');

function images(count: number, size = 4): Uint8Array {
  return Uint8Array.from({ length: count * size * size * 3 }, (_, i) => (i * 7) % 256);
}

describe('cache format', () => {
  it('round-trips header, metadata and pixels in memory', () => {
    const pixels = images(3);
    const buf = encodeCache({ flags: 1, height: 4, width: 4, channels: 3, meta }, pixels);
    expect(buf.toString('latin1', 0, 4)).toBe('GSDC');
    const header = decodeHeader(buf);
    expect(header.dataOffset % 64).toBe(0);
    const decoded = decodeCache(buf);
    expect(decoded).toMatchObject({ count: 3, height: 4, width: 4, channels: 3, flip: true, meta });
    expect(Buffer.from(decoded.pixels).equals(Buffer.from(pixels))).toBe(true);
  });

  it('refuses what it cannot read, saying to rebuild', () => {
    const good = encodeCache({ flags: 0, height: 4, width: 4, channels: 3, meta }, images(2));
    expect(() => decodeCache(Buffer.from('NOPE and more bytes than a header has, really more'))).toThrow(
      CacheFormatError,
    );
    const future = Buffer.from(good);
    future.writeUInt32LE(99, 4);
    expect(() => decodeCache(future)).toThrow(/version 99.*Rebuild/);
    expect(() => decodeCache(good.subarray(0, good.length - 1))).toThrow(/ends early/);
    expect(() =>
      encodeCache({ flags: 0, height: 4, width: 4, channels: 3, meta }, new Uint8Array(5)),
    ).toThrow(RangeError);
  });

  it('streams images to a temp file and renames it into place complete', async () => {
    const file = path.join(dir, 'sub', 'cache.bin');
    const writer = await CacheWriter.create({ file, height: 4, width: 4, flip: false, meta });
    const pixels = images(1000);
    const per = 4 * 4 * 3;
    for (let i = 0; i < 1000; i++) await writer.append(pixels.subarray(i * per, (i + 1) * per));
    expect(fs.existsSync(file)).toBe(false); // not visible until finished
    expect(fs.existsSync(writer.tempFile)).toBe(true);
    const result = await writer.finish();
    expect(result).toMatchObject({ file, count: 1000, bytes: fs.statSync(file).size });
    expect(fs.existsSync(writer.tempFile)).toBe(false);
    const read = await readCacheFile(file);
    expect(read).toMatchObject({ count: 1000, height: 4, width: 4, channels: 3, flip: false, meta });
    expect(Buffer.from(read.pixels).equals(Buffer.from(pixels))).toBe(true);
    await expect(writer.append(pixels.subarray(0, per))).rejects.toThrow(/after finish/);
  });

  it('leaves nothing behind when aborted, and rejects a wrong-sized image', async () => {
    const file = path.join(dir, 'aborted.bin');
    const writer = await CacheWriter.create({ file, height: 4, width: 4, flip: false, meta });
    await expect(writer.append(new Uint8Array(10))).rejects.toThrow(RangeError);
    await writer.abort();
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(writer.tempFile)).toBe(false);
  });
});
