import fs from 'node:fs/promises';
import path from 'node:path';
import { tempFileFor } from './temp-files.js';

/**
 * Makes a rename into `dir` durable. Windows cannot open a folder to sync it (NTFS journals the
 * rename anyway), so failing here is not an error.
 */
export async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* not supported on this platform */
  }
}

/**
 * Writes a file so that a crash leaves either the old state or the complete new file, never a
 * torn one: a temporary file beside it, fsync, rename over, fsync the folder.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  // Named after this process, so recovery at start removes it only once the process is gone.
  const tmp = tempFileFor(path.join(dir, `.${path.basename(file)}`));
  const handle = await fs.open(tmp, 'w');
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (error) {
    // A full disk fails the write itself: leave no half-written temp file behind.
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await syncFolder(dir);
}
