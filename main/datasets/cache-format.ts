import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { CropMode } from '../../shared/config.js';
import { syncFolder } from '../common/atomic-files.js';
import { tempFileFor } from '../common/temp-files.js';

/**
 * The training cache file: every used image of a dataset, resized to one resolution, as one
 * uint8 N×H×W×3 tensor (RGB, row-major, image after image) behind a small header. The training
 * worker reads it in one go and slices batches out of it with no decoding.
 *
 *   offset  size  field
 *   0       4     magic "GSDC"
 *   4       4     version (u32 LE) = 1
 *   8       4     flags (u32 LE): bit 0 = horizontal flip augmentation requested
 *   12      4     count N (u32 LE)
 *   16      4     height H (u32 LE)
 *   20      4     width W (u32 LE)
 *   24      4     channels C (u32 LE) = 3
 *   28      4     JSON metadata length in bytes (u32 LE)
 *   32      4     data offset (u32 LE): header + JSON, zero-padded to a multiple of 64
 *   36      ...   JSON metadata (UTF-8), then zero padding
 *   offset  N·H·W·C pixels
 *
 * Flip is recorded, not applied: the trainer flips at random per batch, so the cache stores each
 * image once.
 */
export const cacheMagic = 'GSDC';
export const cacheFormatVersion = 1;
export const cacheFlags = { flip: 1 } as const;
const fixedHeaderBytes = 36;
const dataAlignment = 64;
const countOffset = 12;

export interface CacheMeta {
  /** The cache key: changes whenever the files or the settings change. */
  key: string;
  datasetId: string;
  resolution: number;
  crop: CropMode;
  flip: boolean;
  /** What transparent areas were composited on, and 'pad' crops padded with. */
  background: { r: number; g: number; b: number };
  createdAt: number;
}

export interface CacheHeader {
  version: number;
  flags: number;
  count: number;
  height: number;
  width: number;
  channels: number;
  meta: CacheMeta;
}

export interface CacheContents {
  count: number;
  height: number;
  width: number;
  channels: number;
  flip: boolean;
  meta: CacheMeta;
  /** N·H·W·C bytes, a view into the file's buffer (no copy). */
  pixels: Uint8Array;
}

/** The file is not a cache this version can read; the message says what to do. */
export class CacheFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheFormatError';
  }
}

function isCacheMeta(value: unknown): value is CacheMeta {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const bg = v['background'] as Record<string, unknown> | undefined;
  return (
    typeof v['key'] === 'string' &&
    typeof v['datasetId'] === 'string' &&
    typeof v['resolution'] === 'number' &&
    typeof v['crop'] === 'string' &&
    typeof v['flip'] === 'boolean' &&
    typeof v['createdAt'] === 'number' &&
    typeof bg === 'object' &&
    bg !== null &&
    ['r', 'g', 'b'].every((c) => typeof bg[c] === 'number')
  );
}

export function imageBytes(header: Pick<CacheHeader, 'height' | 'width' | 'channels'>): number {
  return header.height * header.width * header.channels;
}

/** The header, JSON and padding: everything before the pixels. */
export function encodeHeader(header: CacheHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header.meta), 'utf8');
  const dataOffset = Math.ceil((fixedHeaderBytes + json.length) / dataAlignment) * dataAlignment;
  const out = Buffer.alloc(dataOffset);
  out.write(cacheMagic, 0, 'latin1');
  const fields = [
    header.version,
    header.flags,
    header.count,
    header.height,
    header.width,
    header.channels,
    json.length,
    dataOffset,
  ];
  fields.forEach((value, i) => out.writeUInt32LE(value, 4 + i * 4));
  json.copy(out, fixedHeaderBytes);
  return out;
}

/** Parses the header at the start of a buffer; `dataOffset` is where the pixels begin. */
export function decodeHeader(buf: Uint8Array): CacheHeader & { dataOffset: number } {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.length < fixedHeaderBytes || view.toString('latin1', 0, 4) !== cacheMagic) {
    throw new CacheFormatError(
      'This is not a GAN Studio training cache (wrong magic). Rebuild the cache from the dataset.',
    );
  }
  const u32 = (i: number) => view.readUInt32LE(4 + i * 4);
  const version = u32(0);
  if (version !== cacheFormatVersion) {
    throw new CacheFormatError(
      `The training cache has format version ${version}, this app reads version ${cacheFormatVersion}. Rebuild the cache from the dataset.`,
    );
  }
  const [flags, count, height, width, channels, jsonLength, dataOffset] = [1, 2, 3, 4, 5, 6, 7].map(u32) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (dataOffset < fixedHeaderBytes + jsonLength || view.length < fixedHeaderBytes + jsonLength) {
    throw new CacheFormatError('The training cache header is damaged. Rebuild the cache from the dataset.');
  }
  let meta: unknown;
  try {
    meta = JSON.parse(view.toString('utf8', fixedHeaderBytes, fixedHeaderBytes + jsonLength));
  } catch {
    throw new CacheFormatError('The training cache metadata is damaged. Rebuild the cache from the dataset.');
  }
  if (!isCacheMeta(meta)) {
    throw new CacheFormatError(
      'The training cache metadata is incomplete. Rebuild the cache from the dataset.',
    );
  }
  return { version, flags, count, height, width, channels, meta, dataOffset };
}

/** A whole cache file in memory (for tests and small datasets; large ones use CacheWriter). */
export function encodeCache(header: Omit<CacheHeader, 'version' | 'count'>, pixels: Uint8Array): Buffer {
  const per = imageBytes(header);
  if (per === 0 || pixels.length % per !== 0) {
    throw new RangeError(`pixels has ${pixels.length} bytes, not a multiple of one image (${per} bytes)`);
  }
  const head = encodeHeader({ ...header, version: cacheFormatVersion, count: pixels.length / per });
  return Buffer.concat([head, pixels]);
}

export function decodeCache(buf: Uint8Array): CacheContents {
  const header = decodeHeader(buf);
  const length = header.count * imageBytes(header);
  if (buf.byteLength < header.dataOffset + length) {
    throw new CacheFormatError(
      `The training cache is incomplete: it should hold ${header.count} images but ends early. Rebuild the cache from the dataset.`,
    );
  }
  return {
    count: header.count,
    height: header.height,
    width: header.width,
    channels: header.channels,
    flip: (header.flags & cacheFlags.flip) !== 0,
    meta: header.meta,
    pixels: buf.subarray(header.dataOffset, header.dataOffset + length),
  };
}

/** Reads a cache file whole; `pixels` views the file's buffer. What the training worker calls. */
export async function readCacheFile(file: string): Promise<CacheContents> {
  const buf = await fs.readFile(file);
  return decodeCache(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}

export interface CacheWriterOptions {
  /** Where the finished cache goes; it appears there only when complete (atomic rename). */
  file: string;
  /** The file written meanwhile; defaults to a unique name beside `file`. */
  tempFile?: string;
  height: number;
  width: number;
  flip: boolean;
  meta: CacheMeta;
}

/**
 * Writes a cache image by image: the header first with a count of 0, pixels appended through a
 * buffer, then the count patched, the file fsynced and renamed into place. A crash leaves only
 * the temporary file, never a cache that looks complete and is not.
 */
export class CacheWriter {
  private readonly perImage: number;
  private readonly chunk: Buffer;
  private used = 0;
  private images = 0;
  private written: number;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly file: string,
    readonly tempFile: string,
    private readonly header: Buffer,
    private readonly headerFields: CacheHeader,
    perImage: number,
  ) {
    const headerBytes = header.length;
    this.perImage = perImage;
    this.written = headerBytes;
    // Appending through a few-MB buffer turns thousands of 12 KB images into few large writes.
    this.chunk = Buffer.allocUnsafe(Math.max(perImage, 4 * 1024 * 1024));
  }

  static async create(options: CacheWriterOptions): Promise<CacheWriter> {
    const tempFile = options.tempFile ?? tempFileFor(options.file);
    const header: CacheHeader = {
      version: cacheFormatVersion,
      flags: options.flip ? cacheFlags.flip : 0,
      count: 0,
      height: options.height,
      width: options.width,
      channels: 3,
      meta: options.meta,
    };
    await fs.mkdir(path.dirname(options.file), { recursive: true });
    const handle = await fs.open(tempFile, 'w');
    const head = encodeHeader(header);
    try {
      await handle.write(head, 0, head.length, 0);
    } catch (err) {
      await handle.close();
      await fs.rm(tempFile, { force: true });
      throw err;
    }
    return new CacheWriter(handle, options.file, tempFile, head, header, imageBytes(header));
  }

  get count(): number {
    return this.images;
  }

  /** Appends one image: exactly height×width×3 bytes, RGB. */
  async append(image: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('CacheWriter: append after finish or abort');
    if (image.length !== this.perImage) {
      throw new RangeError(`an image must have ${this.perImage} bytes, got ${image.length}`);
    }
    if (this.used + image.length > this.chunk.length) await this.drain();
    this.chunk.set(image, this.used);
    this.used += image.length;
    this.images++;
  }

  private async drain(): Promise<void> {
    let offset = 0;
    while (offset < this.used) {
      const { bytesWritten } = await this.handle.write(this.chunk, offset, this.used - offset, this.written);
      offset += bytesWritten;
      this.written += bytesWritten;
    }
    this.used = 0;
  }

  /**
   * Completes the file and moves it into place; returns its size. `late` gives a name and meta
   * known only at the end (a cache built during its dataset's scan learns its key last); the new
   * meta must encode to the same length as the one written at the start.
   */
  async finish(late?: {
    file: string;
    meta: CacheMeta;
  }): Promise<{ file: string; count: number; bytes: number }> {
    if (this.closed) throw new Error('CacheWriter: finish after finish or abort');
    this.closed = true;
    const file = late?.file ?? this.file;
    try {
      await this.drain();
      let head: Buffer;
      if (late) {
        head = encodeHeader({ ...this.headerFields, count: this.images, meta: late.meta });
        if (head.length !== this.header.length)
          throw new Error('CacheWriter: the late meta changes the header size');
      } else {
        head = Buffer.alloc(4);
        head.writeUInt32LE(this.images, 0);
      }
      await this.handle.write(head, 0, head.length, late ? 0 : countOffset);
      await this.handle.sync();
      await this.handle.close();
      await fs.rename(this.tempFile, file);
    } catch (err) {
      await this.handle.close().catch(() => undefined);
      await fs.rm(this.tempFile, { force: true });
      throw err;
    }
    await syncFolder(path.dirname(file));
    return { file, count: this.images, bytes: this.written };
  }

  /** Gives up: closes and deletes the temporary file. Safe to call more than once. */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await fs.rm(this.tempFile, { force: true });
  }
}
