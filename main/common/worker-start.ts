import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread from its entry module, named without extension (e.g.
 * `new URL('./worker', import.meta.url)`). Compiled builds have the .js. From TypeScript sources
 * (tests, tsx) the worker needs tsx's loader, and Node 20 does not apply `--import tsx` from
 * execArgv to a worker's own entry (ERR_UNKNOWN_FILE_EXTENSION), so a two-line bootstrap
 * registers tsx inside the worker and then imports the entry.
 */
export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const compiled = new URL(`${entry.href}.js`);
  if (fs.existsSync(fileURLToPath(compiled))) return new Worker(compiled, options);
  const source = new URL(`${entry.href}.ts`).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
