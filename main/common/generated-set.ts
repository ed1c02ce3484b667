import fs from 'node:fs/promises';

/**
 * A generated data set's manifest: the explorer writes it beside the set's images
 * (latent/worker/generate-set.ts), and a scan of the set's folder passes over it
 * (datasets/walk.ts). Its name and the format it declares live here, for both.
 */

/** The manifest's file name, in the set's folder. */
export const generatedSetManifestName = 'manifest.json';

/** The `format` the manifest declares, its first field. */
export const generatedSetFormat = 'gan-studio-generated-set';

/** The manifest's first bytes, as generate-set.ts writes them (any spacing). */
const manifestStart = new RegExp(`^\\s*\\{\\s*"format"\\s*:\\s*"${generatedSetFormat}"`);

/**
 * Whether a file is a generated set's manifest written by the studio: named so, and declaring
 * the studio's format first. A user's own manifest.json is not, and stays a file of their folder.
 * Reads only the file's start: a set of 100,000 images has a manifest of megabytes.
 */
export async function isGeneratedSetManifest(file: string, name: string): Promise<boolean> {
  if (name !== generatedSetManifestName) return false;
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(256), 0, 256, 0);
    return manifestStart.test(buffer.subarray(0, bytesRead).toString('utf8'));
  } catch {
    // Unreadable: the scan reports it as it reports any file it cannot read.
    return false;
  } finally {
    await handle?.close();
  }
}
