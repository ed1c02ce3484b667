import type { WorkerOptions } from 'node:worker_threads';

/**
 * Where a sibling worker entry lives and how to start it. Compiled builds run the .js beside this
 * module; tests and dev tools run the TypeScript sources, which a worker can load only through tsx.
 */
export function workerEntry(
  moduleUrl: string,
  baseName: string,
): { url: URL; options: WorkerOptions } {
  const fromSource = moduleUrl.endsWith('.ts');
  const url = new URL(`./${baseName}${fromSource ? '.ts' : '.js'}`, moduleUrl);
  return { url, options: fromSource ? { execArgv: ['--import', 'tsx'] } : {} };
}
