import fs from 'node:fs/promises';
import path from 'node:path';
import { isGeneratedSetManifest } from '../common/generated-set.js';

/** A regular file found by the walk (a symlink to a file counts, with its target's size). */
export interface WalkFile {
  kind: 'file';
  /** Relative to the root, always with '/' separators so rows read the same on every OS. */
  relPath: string;
  absPath: string;
  bytes: number;
  mtimeMs: number;
}

/** Something the walk could not open: a folder without permission, a broken link. */
export interface WalkProblem {
  kind: 'problem';
  /** A folder's path ends with '/'. */
  relPath: string;
  code: string;
  message: string;
}

export type WalkEntry = WalkFile | WalkProblem;

/** The root itself cannot be listed: the scan as a whole fails with this. */
export class RootUnreadableError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'RootUnreadableError';
    this.code = code;
  }
}

/**
 * Names that are never part of a dataset: OS bookkeeping that sits beside photos. Dot-names are
 * skipped separately. Compared in lower case, as these come from case-insensitive file systems.
 */
const systemNames = new Set([
  'thumbs.db',
  'ehthumbs.db',
  'ehthumbs_vista.db',
  'desktop.ini',
  '__macosx',
  '$recycle.bin',
  'system volume information',
  '@eadir',
  'icon\r',
]);

export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || systemNames.has(name.toLowerCase());
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'EUNKNOWN';
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Node reads names as UTF-8 and puts U+FFFD where the bytes are not; such a name then opens
 * nothing (ENOENT), which says nothing useful. This spells the name out with its raw bytes
 * escaped, e.g. `caf\xe9.png` for a Latin-1 "café.png".
 */
async function invalidName(absDir: string, shown: string): Promise<string | undefined> {
  if (!shown.includes('\uFFFD')) return undefined;
  try {
    const raw = (await fs.readdir(absDir, { encoding: 'buffer' })).find((b) => b.toString('utf8') === shown);
    if (raw === undefined || Buffer.from(shown, 'utf8').equals(raw)) return undefined;
    return [...raw]
      .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`))
      .join('');
  } catch {
    return undefined;
  }
}

function notUtf8(relDir: string, escaped: string, isFolder: boolean): WalkProblem {
  const relPath = relDir ? `${relDir}/${escaped}` : escaped;
  return {
    kind: 'problem',
    relPath: isFolder ? `${relPath}/` : relPath,
    code: 'EILSEQ',
    message: `the name "${escaped}" is not valid UTF-8 text (an older system's encoding), so it cannot be opened by name`,
  };
}

function abortIfNeeded(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw signal.reason instanceof Error ? signal.reason : new DOMException('Aborted', 'AbortError');
}

/**
 * Walks a folder depth-first in a stable order (relative paths sorted by code unit), yielding files one at
 * a time. Hidden and system entries are skipped, and so is a generated set's manifest. Symbolic links are followed, but each real
 * folder is entered once: a link back to a parent (a loop) or to a folder already walked is
 * passed over, so a dataset never counts the same folder twice.
 */
export async function* walk(root: string, signal?: AbortSignal): AsyncGenerator<WalkEntry> {
  let rootReal: string;
  try {
    rootReal = await fs.realpath(root);
  } catch (err) {
    throw new RootUnreadableError(errCode(err), errMessage(err));
  }
  const visited = new Set<string>([rootReal]);
  yield* walkDir(root, '', visited, signal, true);
}

async function* walkDir(
  absDir: string,
  relDir: string,
  visited: Set<string>,
  signal: AbortSignal | undefined,
  isRoot: boolean,
): AsyncGenerator<WalkEntry> {
  abortIfNeeded(signal);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(absDir, { withFileTypes: true });
  } catch (err) {
    if (isRoot) throw new RootUnreadableError(errCode(err), errMessage(err));
    yield { kind: 'problem', relPath: `${relDir}/`, code: errCode(err), message: errMessage(err) };
    return;
  }
  // A folder sorts as its name plus '/', so the depth-first walk lists files in the order of their
  // relative paths ('set-2/…' before 'set/…', 'a.png' before 'a/…'): the order of the file list
  // and of a training cache's images. (A link to a folder sorts by its bare name.)
  const key = (e: import('node:fs').Dirent) => (e.isDirectory() ? `${e.name}/` : e.name);
  entries.sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const entry of entries) {
    if (isIgnoredName(entry.name)) continue;
    abortIfNeeded(signal);
    const absPath = path.join(absDir, entry.name);
    const relPath = relDir ? `${relDir}/${entry.name}` : entry.name;
    let isDir = entry.isDirectory();
    let stat: import('node:fs').Stats | undefined;
    if (entry.isSymbolicLink() || entry.isFile()) {
      try {
        stat = await fs.stat(absPath); // follows links
      } catch (err) {
        const code = errCode(err);
        const escaped = code === 'ENOENT' ? await invalidName(absDir, entry.name) : undefined;
        if (escaped !== undefined) {
          yield notUtf8(relDir, escaped, false);
          continue;
        }
        const message =
          code === 'ENOENT' && entry.isSymbolicLink()
            ? 'a link whose target does not exist'
            : code === 'ELOOP'
              ? 'a link that points to itself'
              : errMessage(err);
        yield { kind: 'problem', relPath, code, message };
        continue;
      }
      isDir = stat.isDirectory();
    }
    if (isDir) {
      const escaped = await invalidName(absDir, entry.name);
      if (escaped !== undefined) {
        yield notUtf8(relDir, escaped, true);
        continue;
      }
      let real: string;
      try {
        real = await fs.realpath(absPath);
      } catch (err) {
        yield { kind: 'problem', relPath: `${relPath}/`, code: errCode(err), message: errMessage(err) };
        continue;
      }
      if (visited.has(real)) continue;
      visited.add(real);
      yield* walkDir(absPath, relPath, visited, signal, false);
    } else if (stat?.isFile()) {
      // The studio's own list of a generated set's images is no file of the set: not an image,
      // and not one to report as skipped either.
      if (await isGeneratedSetManifest(absPath, entry.name)) continue;
      yield { kind: 'file', relPath, absPath, bytes: stat.size, mtimeMs: Math.trunc(stat.mtimeMs) };
    }
    // Sockets, FIFOs and devices are passed over: reading a FIFO would block the scan forever.
  }
}
