import { loadSharp } from '../../common/sharp-loader.js';
import type { AnimationFormat } from '../protocol.js';

/**
 * Pictures out of generated images: float NHWC in [−1, 1] to 8-bit RGB, enlarged by whole
 * factors (nearest neighbour: a 32 px sample stays sharp), and encoded as PNG, a PNG strip, an
 * animated GIF or an animated WebP by sharp (libvips) — which writes animations from a tall raw
 * image with one page per frame, so no GIF library is needed.
 */

export interface RgbFrames {
  /** Packed RGB, frame after frame. */
  rgb: Uint8Array;
  width: number;
  height: number;
  count: number;
}

/** Images i … i + count − 1 of [N, size, size, 3] floats in [−1, 1], as 8-bit RGB. */
export function toRgb(
  images: Float32Array,
  size: number,
  from = 0,
  count = images.length / (size * size * 3),
): RgbFrames {
  const pixels = size * size * 3;
  const rgb = new Uint8Array(count * pixels);
  const start = from * pixels;
  for (let i = 0; i < rgb.length; i++) {
    const v = Math.round(((images[start + i] ?? 0) + 1) * 127.5);
    rgb[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return { rgb, width: size, height: size, count };
}

/** Every frame enlarged `scale` times by repeating pixels. */
export function enlarge(frames: RgbFrames, scale: number): RgbFrames {
  if (scale === 1) return frames;
  const { width, height, count } = frames;
  const w = width * scale;
  const h = height * scale;
  const out = new Uint8Array(count * w * h * 3);
  for (let f = 0; f < count; f++) {
    for (let y = 0; y < h; y++) {
      const srcRow = (f * height + Math.floor(y / scale)) * width;
      const dstRow = (f * h + y) * w;
      for (let x = 0; x < w; x++) {
        const s = (srcRow + Math.floor(x / scale)) * 3;
        const d = (dstRow + x) * 3;
        out[d] = frames.rgb[s] ?? 0;
        out[d + 1] = frames.rgb[s + 1] ?? 0;
        out[d + 2] = frames.rgb[s + 2] ?? 0;
      }
    }
  }
  return { rgb: out, width: w, height: h, count };
}

function bytesOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** One frame as a PNG. */
export async function encodePngFrame(frames: RgbFrames, index: number): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const size = frames.width * frames.height * 3;
  const rgb = frames.rgb.subarray(index * size, (index + 1) * size);
  return bytesOf(
    await sharp(rgb, { raw: { width: frames.width, height: frames.height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** Every frame as its own PNG, encoded in parallel on libvips' threads. */
export function encodePngFrames(frames: RgbFrames): Promise<Uint8Array[]> {
  return Promise.all(Array.from({ length: frames.count }, (_, i) => encodePngFrame(frames, i)));
}

/** Frames side by side, left to right, with no gap: a sprite sheet of the path. */
function strip(frames: RgbFrames): { rgb: Uint8Array; width: number; height: number } {
  const { width, height, count } = frames;
  const outW = width * count;
  const out = new Uint8Array(outW * height * 3);
  for (let f = 0; f < count; f++) {
    for (let y = 0; y < height; y++) {
      const src = (f * height + y) * width * 3;
      out.set(frames.rgb.subarray(src, src + width * 3), (y * outW + f * width) * 3);
    }
  }
  return { rgb: out, width: outW, height };
}

/** PNG strips cannot be wider than this many pixels in some viewers; libvips allows more. */
export const maxStripWidth = 65_535;

/** The frames as an animation or a strip; returns the file's bytes and its picture size. */
export async function encodeAnimation(
  frames: RgbFrames,
  format: AnimationFormat,
  frameMs: number,
): Promise<{ bytes: Uint8Array; width: number; height: number }> {
  const sharp = await loadSharp();
  if (format === 'strip') {
    const sheet = strip(frames);
    const png = await sharp(sheet.rgb, { raw: { width: sheet.width, height: sheet.height, channels: 3 } })
      .png()
      .toBuffer();
    return { bytes: bytesOf(png), width: sheet.width, height: sheet.height };
  }
  const { width, height, count } = frames;
  const tall = sharp(frames.rgb, { raw: { width, height: height * count, channels: 3, pageHeight: height } });
  const delay = Array<number>(count).fill(Math.round(frameMs));
  const encoded =
    format === 'gif'
      ? await tall.gif({ delay, loop: 0 }).toBuffer()
      : await tall.webp({ delay, loop: 0, lossless: true }).toBuffer();
  return { bytes: bytesOf(encoded), width, height };
}
