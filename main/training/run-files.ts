import fs from 'node:fs/promises';
import path from 'node:path';
import { loadSharp } from '../datasets/sharp-loader.js';
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

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable. Windows cannot open a folder to sync it (NTFS journals the
  // rename anyway), so failing here is not an error.
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* not supported here */
  }
}

/**
 * Writes a file so that a crash leaves either the old state or the complete new file, never a
 * torn one: a temporary file beside it, fsync, rename over, fsync the folder.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dir);
}

export async function encodePng(image: RgbImage): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const png = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
