import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { CropMode } from '../../shared/config.js';
import { writePngs } from '../helpers/images.js';
import type { ColorMode, SkipReason } from '../../shared/types.js';

/** A smooth, seeded RGB pattern: distinct per seed, compressible like a photo. */
export function pattern(width: number, height: number, seed: number, channels: 3 | 4 = 3): Buffer {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      data[i] = (x * 255) / width + seed * 37;
      data[i + 1] = (y * 255) / height + seed * 91;
      data[i + 2] = 128 + 100 * Math.sin((x + y + seed * 13) / 7);
      if (channels === 4) data[i + 3] = x < width / 2 ? 255 : 64;
    }
  }
  return data;
}

function raw(width: number, height: number, seed: number, channels: 3 | 4 = 3) {
  return sharp(pattern(width, height, seed, channels), { raw: { width, height, channels } });
}

function write(root: string, rel: string, data: Buffer | string): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
}

/** The minimum size the fixture's expectations assume. */
export const fixtureMinSize = 16;

/**
 * What a scan of the messy fixture folder must find: each file's fate, and the report's counts.
 * Hidden entries, system files and the symlink loop are not files of the dataset at all.
 */
export const fixtureExpect = {
  used: {
    'a/photo1.jpg': 'rgb',
    'a/b/photo2.png': 'rgb',
    'a/b/c/photo3.webp': 'rgb',
    'rgba.png': 'rgba',
    'grey.png': 'grey',
    'grey-alpha.png': 'grey-alpha',
    'deep16.png': '16-bit',
    'cmyk.jpg': 'cmyk',
    'vector.svg': 'rgba',
    'scan.bmp': 'rgb',
  } satisfies Record<string, ColorMode>,
  skipped: {
    'truncated.jpg': 'corrupt',
    'empty.png': 'corrupt',
    'notes.jpg': 'not-an-image',
    'README.txt': 'not-an-image',
    'sound.wav': 'not-an-image',
    'copy-of-photo1.jpg': 'duplicate',
    'tiny.png': 'too-small',
    'cut.bmp': 'corrupt',
    'old.bmp': 'unsupported-format',
    'broken-link.png': 'unreadable',
  } satisfies Record<string, SkipReason>,
  formats: { jpeg: 2, png: 5, webp: 1, svg: 1, bmp: 1 },
} as const;

/**
 * Writes a real, messy image folder with sharp: valid JPEG/PNG/WebP in nested folders, RGBA,
 * grey, grey+alpha, 16-bit and CMYK images, a truncated JPEG, an empty .png, a text file named
 * .jpg, a README, a WAV header, a good, a cut-short and an RLE-compressed BMP, an exact duplicate, an image below the minimum size, an
 * SVG, a broken link, a link looping back to its parent, and hidden and system files.
 */
export async function makeMessyFolder(root: string): Promise<void> {
  fs.mkdirSync(root, { recursive: true });
  write(root, 'a/photo1.jpg', await raw(64, 48, 1).jpeg({ quality: 90 }).toBuffer());
  write(root, 'a/b/photo2.png', await raw(40, 40, 2).png().toBuffer());
  write(root, 'a/b/c/photo3.webp', await raw(50, 30, 3).webp({ quality: 90 }).toBuffer());
  write(root, 'rgba.png', await raw(48, 32, 4, 4).png().toBuffer());
  write(root, 'grey.png', await raw(32, 32, 5).toColourspace('b-w').png().toBuffer());
  write(
    root,
    'grey-alpha.png',
    await sharp(
      Buffer.alloc(32 * 32 * 2).map((_, i) => (i % 2 ? 200 : i % 251)),
      {
        raw: { width: 32, height: 32, channels: 2 },
      },
    )
      .toColourspace('b-w')
      .png()
      .toBuffer(),
  );
  write(root, 'deep16.png', await raw(40, 30, 6).toColourspace('rgb16').png().toBuffer());
  write(root, 'cmyk.jpg', await raw(36, 36, 7).toColourspace('cmyk').jpeg().toBuffer());
  const big = await raw(300, 200, 8).jpeg({ quality: 95 }).toBuffer();
  write(root, 'truncated.jpg', big.subarray(0, Math.floor(big.length * 0.6)));
  write(root, 'empty.png', '');
  write(root, 'notes.jpg', 'These are my notes about the photo shoot.\nNothing to see here.\n');
  write(root, 'README.txt', '# Dataset\nImages collected for training.\n');
  const wav = Buffer.alloc(64);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(56, 4);
  wav.write('WAVEfmt ', 8, 'latin1');
  write(root, 'sound.wav', wav);
  write(root, 'scan.bmp', bmp24(40, 30, pattern(40, 30, 12)));
  const cut = bmp24(40, 30, pattern(40, 30, 13));
  write(root, 'cut.bmp', cut.subarray(0, cut.length - 100));
  write(root, 'old.bmp', bmp24(40, 30, pattern(40, 30, 14), 1)); // compression 1: BI_RLE8
  fs.copyFileSync(path.join(root, 'a/photo1.jpg'), path.join(root, 'copy-of-photo1.jpg'));
  write(root, 'tiny.png', await raw(8, 8, 9).png().toBuffer());
  write(
    root,
    'vector.svg',
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">' +
      '<circle cx="12" cy="12" r="10" fill="#c03"/><rect x="4" y="4" width="6" height="6" fill="#36c"/></svg>',
  );
  fs.symlinkSync(path.join(root, 'does-not-exist.png'), path.join(root, 'broken-link.png'));
  fs.symlinkSync('..', path.join(root, 'a', 'loop'));
  write(root, '.hidden.png', await raw(32, 32, 10).png().toBuffer());
  write(root, '.cache/inside-hidden.png', await raw(32, 32, 11).png().toBuffer());
  write(root, 'Thumbs.db', Buffer.alloc(100, 1));
  write(root, '__MACOSX/._photo1.jpg', Buffer.alloc(100, 2));
}

/**
 * A minimal BMP writer, independent of the decoder: each pixel is given as the value the file
 * stores (a palette index, or the packed integer of a 16/24/32-bit pixel), and the writer only
 * lays out headers, palette, row order and row padding.
 */
export interface BmpEncodeOptions {
  width: number;
  height: number;
  bitsPerPixel: number;
  /** The stored value of the pixel at (x, y), y counted from the top. */
  value: (x: number, y: number) => number;
  headerBytes?: 12 | 40 | 52 | 56 | 108 | 124;
  topDown?: boolean;
  compression?: number;
  /** Red, green, blue(, alpha) masks: inside V4/V5 headers, or after a 40-byte header. */
  masks?: number[];
  /** [r, g, b] entries. */
  palette?: [number, number, number][];
  colorsUsed?: number;
  planes?: number;
}

export function encodeBmp(o: BmpEncodeOptions): Buffer {
  const headerBytes = o.headerBytes ?? 40;
  const core = headerBytes === 12;
  const entryBytes = core ? 3 : 4;
  const palette = o.palette ?? [];
  const masksAfter = headerBytes === 40 && o.masks ? o.masks.length * 4 : 0;
  const pixelOffset = 14 + headerBytes + masksAfter + palette.length * entryBytes;
  const stride = Math.max(0, Math.ceil((o.width * o.bitsPerPixel) / 32) * 4);
  const file = Buffer.alloc(pixelOffset + stride * o.height);

  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(pixelOffset, 10);
  file.writeUInt32LE(headerBytes, 14);
  if (core) {
    file.writeUInt16LE(o.width, 18);
    file.writeUInt16LE(o.height, 20);
    file.writeUInt16LE(o.planes ?? 1, 22);
    file.writeUInt16LE(o.bitsPerPixel, 24);
  } else {
    file.writeInt32LE(o.width, 18);
    file.writeInt32LE(o.topDown ? -o.height : o.height, 22);
    file.writeUInt16LE(o.planes ?? 1, 26);
    file.writeUInt16LE(o.bitsPerPixel, 28);
    file.writeUInt32LE(o.compression ?? 0, 30);
    file.writeUInt32LE(stride * o.height, 34);
    file.writeInt32LE(2835, 38);
    file.writeInt32LE(2835, 42);
    file.writeUInt32LE(o.colorsUsed ?? palette.length, 46);
    // Byte 54 is right after a 40-byte header, and also where V4/V5 headers keep their masks.
    (o.masks ?? []).forEach((m, i) => file.writeUInt32LE(m >>> 0, 54 + i * 4));
    if (headerBytes >= 108) file.writeUInt32LE(0x73524742, 70); // LCS_sRGB
  }
  palette.forEach(([r, g, b], i) => {
    const at = 14 + headerBytes + masksAfter + i * entryBytes;
    file[at] = b;
    file[at + 1] = g;
    file[at + 2] = r;
  });

  for (let y = 0; y < o.height; y++) {
    const row = pixelOffset + (o.topDown ? y : o.height - 1 - y) * stride;
    for (let x = 0; x < o.width; x++) {
      const v = o.value(x, y);
      if (o.bitsPerPixel < 8) {
        const bitPos = x * o.bitsPerPixel;
        const shift = 8 - o.bitsPerPixel - (bitPos % 8);
        file[row + Math.floor(bitPos / 8)]! |= v << shift;
      } else {
        const bytes = o.bitsPerPixel / 8;
        for (let k = 0; k < bytes; k++) file[row + x * bytes + k] = (v >>> (8 * k)) & 0xff;
      }
    }
  }
  return file;
}

/** A 24-bit bottom-up BMP (BITMAPINFOHEADER) of raw RGB pixels. */
export function bmp24(width: number, height: number, rgb: Buffer, compression = 0): Buffer {
  return encodeBmp({
    width,
    height,
    bitsPerPixel: 24,
    compression,
    // Stored little-endian: blue, green, red.
    value: (x, y) => {
      const i = (y * width + x) * 3;
      return rgb[i + 2]! | (rgb[i + 1]! << 8) | (rgb[i]! << 16);
    },
  });
}

/** The RGB pixels of a BMP that bmp24 wrote (the reference reads it without main/datasets). */
function readBmp24(file: Buffer): { data: Buffer; width: number; height: number } {
  const width = file.readInt32LE(18);
  const height = file.readInt32LE(22);
  const stride = Math.ceil((width * 3) / 4) * 4;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = file.readUInt32LE(10) + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = file[row + x * 3 + 2]!;
      data[i + 1] = file[row + x * 3 + 1]!;
      data[i + 2] = file[row + x * 3]!;
    }
  }
  return { data, width, height };
}

/** `count` distinct small PNGs, for scans that must take a moment (cancel, removal, bench). */
export async function makeManyImages(root: string, count: number, size = 32): Promise<void> {
  await writePngs(root, count, (i) => pattern(size, size, i), {
    width: size,
    height: size,
    name: (i) => `part${Math.floor(i / 100)}/img${String(i).padStart(5, '0')}.png`,
  });
}

/** The background the studio composites transparency on and pads with. */
const cacheWhite = { r: 255, g: 255, b: 255 };
const fits = { center: 'cover', pad: 'contain', stretch: 'fill' } as const;

/**
 * sharp's own rendering of a file at the documented options, written out here independently of
 * main/datasets: what each image of the cache must equal byte for byte.
 */
export async function reference(
  file: string,
  resolution: number,
  crop: CropMode,
  svgSize?: number,
): Promise<Buffer> {
  const density = svgSize ? (72 * resolution) / svgSize : undefined;
  // libvips has no BMP loader: the fixture's BMPs are read here and given to sharp as pixels.
  const bmp = file.endsWith('.bmp') ? readBmp24(fs.readFileSync(file)) : undefined;
  const input = bmp
    ? sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 3 } })
    : sharp(file, { failOn: 'truncated', autoOrient: true, ...(density ? { density } : {}) });
  return input
    .flatten({ background: cacheWhite })
    .resize(resolution, resolution, { fit: fits[crop], position: 'centre', background: cacheWhite })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer();
}
