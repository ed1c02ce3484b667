import fs from 'node:fs/promises';
import path from 'node:path';

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

function abortIfNeeded(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw signal.reason instanceof Error ? signal.reason : new DOMException('Aborted', 'AbortError');
}

/**
 * Walks a folder depth-first in a stable order (relative paths sorted by code unit), yielding files one at
 * a time. Hidden and system entries are skipped. Symbolic links are followed, but each real
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
      yield { kind: 'file', relPath, absPath, bytes: stat.size, mtimeMs: Math.trunc(stat.mtimeMs) };
    }
    // Sockets, FIFOs and devices are passed over: reading a FIFO would block the scan forever.
  }
}
