import { loadSharp } from '../common/sharp-loader.js';
import type { RgbImage } from './engine/grid.js';

/**
 * File names inside a run folder, relative to it (what the protocol messages carry). Always
 * with '/', which Node accepts on Windows too, so the names also work in URLs.
 */
export function sampleFile(step: number): string {
  return `samples/step-${String(step).padStart(7, '0')}.png`;
}

export function checkpointFile(step: number): string {
  return `checkpoints/step-${String(step).padStart(7, '0')}.ckpt`;
}

/** The step of a checkpoint file name written by checkpointFile, or null for any other name. */
export function checkpointStep(fileName: string): number | null {
  const match = /^step-(\d{7,})\.ckpt$/.exec(fileName);
  return match ? Number(match[1]) : null;
}

export async function encodePng(image: RgbImage): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const png = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
