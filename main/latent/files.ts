import fs from 'node:fs';
import path from 'node:path';
import { ownerAlive, thisProcess } from '../common/owner.js';
import { removeStaleTempFiles } from '../common/temp-files.js';
import { inside } from '../common/folder-safety.js';
import { dataPaths } from '../common/paths.js';
import { generatedSetManifestName } from '../common/generated-set.js';

/**
 * Where the latent explorer writes, and nowhere else. API callers never name a path: the studio
 * picks every name, under its own data folder —
 *   <dataDir>/exports/<runId>/<stamp>-<what>.<gif|webp|png>     animations, strips, samples
 *   <dataDir>/exports/<runId>/<stamp>-<what>-tfjs/…             exported generators
 *   <dataDir>/generated/<stamp>-<what>/seed-….png + manifest.json   generated data sets
 * so a web page driving the API cannot write anywhere else. The CLI, run by the user, copies or
 * moves a result to its --out afterwards (cli/latent.ts).
 */

/** A generated set's list of files, written last: a set is complete exactly when it is there. */
export const manifestFileName = generatedSetManifestName;

/** seed-0000001234.png: sorts by seed, and names the seed to anyone looking at the folder. */
export function setFileName(seed: number): string {
  return `seed-${String(seed).padStart(10, '0')}.png`;
}

/**
 * Marks a generated set still being written, with the process writing it. Removed once its
 * manifest is in place; a set left with it by a process that is gone is removed at start.
 */
export const incompleteMarker = '.gan-studio-incomplete';

/** A name's readable part: lower-case letters, digits and dashes. */
export function slug(text: string, max = 40): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents off: é → e
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return s || 'run';
}

/** 20261130-154501-123: sorts by time; the milliseconds keep two exports in a second apart. */
export function stamp(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}-${p(now.getMilliseconds(), 3)}`
  );
}

/** Names the studio gives exported files and folders (and only those are served back). */
export const exportName = /^\d{8}-\d{6}-\d{3}-[a-z0-9-]+(\.(gif|webp|png)|-tfjs)$/;
/** Files inside an exported model's folder. */
export const modelFileName = /^(model\.json|gan-studio\.json|group1-shard\d+of\d+\.bin)$/;

/**
 * Makes a new folder that did not exist (never reuses one, so nothing of the user's is written
 * over), adding -2, -3… to the name if it is taken.
 */
export function makeNewFolder(parent: string, name: string): string {
  fs.mkdirSync(parent, { recursive: true });
  for (let i = 1; ; i++) {
    const folder = path.join(parent, i === 1 ? name : `${name}-${i}`);
    try {
      fs.mkdirSync(folder);
      return folder;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || i > 1000) throw error;
    }
  }
}

/** Marks a generated set's folder as being written by this process. */
export function markIncomplete(folder: string): void {
  fs.writeFileSync(path.join(folder, incompleteMarker), `${thisProcess}\n`);
}

export function clearIncomplete(folder: string): void {
  fs.rmSync(path.join(folder, incompleteMarker), { force: true });
}

/**
 * At start: generated sets that a process now gone left half-written are removed (they have no
 * manifest, so nothing could use them), and temporary files of exports it was writing. Best
 * effort: what cannot be read is passed over.
 */
export function recoverLatentFiles(dataDir: string): void {
  const generated = dataPaths.generatedRoot(dataDir);
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(generated, { withFileTypes: true });
  } catch {
    /* no sets yet */
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const folder = path.join(generated, entry.name);
    let owner: string;
    try {
      owner = fs.readFileSync(path.join(folder, incompleteMarker), 'utf8').trim();
    } catch {
      continue; // complete, or not one of ours
    }
    if (ownerAlive(owner)) continue;
    try {
      if (fs.existsSync(path.join(folder, manifestFileName))) clearIncomplete(folder);
      else if (inside(generated, folder)) fs.rmSync(folder, { recursive: true, force: true });
    } catch {
      /* another process got there first */
    }
  }
  removeStaleTempFiles(dataPaths.exportsRoot(dataDir), 2);
  removeStaleTempFiles(generated, 1);
}
