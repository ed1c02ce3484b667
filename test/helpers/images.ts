import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export interface PngOptions {
  width?: number;
  height?: number;
  /** The file name of image i; `${i}.png` unless given. */
  name?: (i: number) => string;
}

/**
 * Writes `count` PNGs into dir (created if need be, and any sub-folder a name has), as a user's
 * image folder holds them, and returns dir. Image i is a solid colour, or raw RGB pixels of
 * width × height, from its index, so the images differ.
 */
export async function writePngs(
  dir: string,
  count: number,
  content: (i: number) => Rgb | Buffer,
  { width = 32, height = 32, name = (i) => `${i}.png` }: PngOptions = {},
): Promise<string> {
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, name(i));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const pixels = content(i);
    const image = Buffer.isBuffer(pixels)
      ? sharp(pixels, { raw: { width, height, channels: 3 } })
      : sharp({ create: { width, height, channels: 3, background: pixels } });
    await image.png({ compressionLevel: 1 }).toFile(file);
  }
  return dir;
}
