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
 * Writes `count` solid-colour PNGs into dir (created if need be), as a user's image folder holds
 * them, and returns dir. Each image's colour comes from its index, so the images differ.
 */
export async function writePngs(
  dir: string,
  count: number,
  colour: (i: number) => Rgb,
  { width = 32, height = 32, name = (i) => `${i}.png` }: PngOptions = {},
): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    await sharp({ create: { width, height, channels: 3, background: colour(i) } })
      .png()
      .toFile(path.join(dir, name(i)));
  }
  return dir;
}
