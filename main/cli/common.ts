import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { MethodInput, MethodName, MethodResult } from '../../shared/api.js';
import { ApiError } from '../../shared/errors.js';
import { invoke } from '../api/router.js';
import type { EventName, EventPayloads } from '../../shared/events.js';
import { defaultDataDir } from '../common/paths.js';
import { Studio } from '../studio.js';

/**
 * What every command group of the CLI shares: flags, the Studio a command opens, and the one way
 * in, the API router the UI calls (the same validation, the same errors, the same events).
 */

/** A mistake in the command line itself: printed with the usage, exit code 2. */
export class UsageError extends Error {}

const commonOptions = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...commonOptions, ...options },
      allowPositionals: true,
      strict: true,
    } as const);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export interface OpenOptions {
  /** `serve` follows runs other processes train, for its UI. */
  followOutsideRuns?: boolean;
  /** The long-running commands keep the store's rolling backup (store/backup.ts). */
  backUp?: boolean;
  /** Only `doctor`, which rebuilds them, opens a store that lacks run folders. */
  allowUnknownRunFolders?: boolean;
}

/**
 * A Studio for one command. One whose store does not know some run folders (studio.db lost,
 * emptied or damaged) is refused, saying what to do: working on would hide those runs.
 */
export async function openStudio(dataDir: string | undefined, options: OpenOptions = {}): Promise<Studio> {
  const folder = path.resolve(dataDir ?? defaultDataDir());
  const studio = new Studio({
    dataDir: folder,
    shell: 'serve',
    followOutsideRuns: options.followOutsideRuns ?? false,
    backUp: options.backUp ?? false,
  });
  const unknown = options.allowUnknownRunFolders ? [] : studio.unknownRunFolders();
  if (unknown.length > 0) {
    await studio.close();
    throw new ApiError(
      'unavailable',
      `The store of ${folder} (studio.db) does not know ${unknown.length} run folder${unknown.length === 1 ? '' : 's'} ` +
        `in it (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''}): it was lost, emptied or damaged. ` +
        `Nothing was changed. Rebuild those runs from their folders with: gan-studio doctor --data-dir "${folder}"`,
    );
  }
  return studio;
}

/** Opens a Studio for the command and closes it however the command ends. */
export async function withStudio<T>(
  dataDir: string | undefined,
  command: (studio: Studio) => Promise<T>,
): Promise<T> {
  const studio = await openStudio(dataDir);
  try {
    return await command(studio);
  } finally {
    await studio.close();
  }
}

/** Calls the API through the router, as the UI does: the same validation and the same errors. */
export function api<M extends MethodName>(
  studio: Studio,
  method: M,
  input: MethodInput<M>,
): Promise<MethodResult<M>> {
  return invoke(studio.router, method, input);
}

/**
 * Waits until `done` says the thing is finished, as a UI would: on every event of that name, and
 * by asking again now and then (work another process does sends no events here).
 */
export async function until<E extends EventName, T>(
  studio: Studio,
  event: E,
  done: () => Promise<T | null>,
  relevant: (payload: EventPayloads[E]) => boolean,
): Promise<T> {
  for (;;) {
    let off = () => {};
    const changed = new Promise<void>((resolve) => {
      off = studio.events.subscribe((e) => {
        if (e.name === event && relevant(e.payload as EventPayloads[E])) resolve();
      });
    });
    try {
      const result = await done();
      if (result !== null) return result;
      await Promise.race([changed, new Promise((resolve) => setTimeout(resolve, 500))]);
    } finally {
      off();
    }
  }
}

/** A run named on the command line: its id, or its exact name when one run has it. */
export async function resolveRun(studio: Studio, ref: string | undefined, usage: string): Promise<string> {
  if (!ref) throw new UsageError(`Name the run: ${usage}`);
  const all = await api(studio, 'runs.list', {});
  const byId = all.find((r) => r.id === ref);
  if (byId) return byId.id;
  const named = all.filter((r) => r.name === ref);
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) {
    throw new ApiError(
      'conflict',
      `${named.length} runs are named "${ref}": give one of their ids (${named.map((r) => r.id).join(', ')}).`,
    );
  }
  throw new ApiError('not_found', `There is no run "${ref}". List them with: gan-studio runs list`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}
