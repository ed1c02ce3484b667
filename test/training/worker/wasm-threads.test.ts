import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainConfigSchema } from '../../../shared/config.js';
import type { FromWorker, StartMessage } from '../../../main/training/protocol.js';
import {
  loadThreadedWasm,
  maxWasmThreads,
  resolveThreads,
  threadedWasmCacheDir,
} from '../../../main/training/worker/wasm-threads.js';
import { startWorker } from '../../../main/common/worker-start.js';
import { maxRelativeError, writeTestCache } from '../helpers.js';
import type { ThreadsProbe } from './wasm-threads-worker.js';
import { fileTempDir } from '../../helpers/temp.js';

let dir: string;

beforeAll(() => {
  dir = fileTempDir('gan-wasm-threads-');
});

interface Probed extends ThreadsProbe {
  /** Whether the thread ended by itself once done (its thread workers must not hold it). */
  exitedByItself: boolean;
}

/**
 * Each probe runs in a worker thread of its own: the threaded build replaces the 'wasm'
 * registration and starts thread workers, which must not reach this process's tfjs.
 */
function probe(threads: number, tmpdir?: string): Promise<Probed> {
  const worker = startWorker(new URL('./wasm-threads-worker', import.meta.url), {
    workerData: { threads, tmpdir },
  });
  return new Promise((resolve, reject) => {
    let result: ThreadsProbe | undefined;
    let timer: NodeJS.Timeout | undefined;
    worker.once('message', (m: ThreadsProbe) => {
      result = m;
      timer = setTimeout(() => {
        void worker.terminate();
        resolve({ ...m, exitedByItself: false });
      }, 5_000);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      clearTimeout(timer);
      if (result === undefined) reject(new Error(`the probe exited (${code}) without a result`));
      else resolve({ ...result, exitedByItself: true });
    });
  });
}

describe('thread count', () => {
  it('auto leaves one core to the main thread, at least 1 and at most 8; a count is kept', () => {
    expect(resolveThreads(0, 1)).toBe(1);
    expect(resolveThreads(0, 2)).toBe(1); // this machine: the stock single-threaded build
    expect(resolveThreads(0, 4)).toBe(3);
    expect(resolveThreads(0, 64)).toBe(maxWasmThreads);
    expect(resolveThreads(3, 2)).toBe(3);
  });

  it('is a config field: default auto, an integer from 0 to 64', () => {
    expect(trainConfigSchema.parse({}).threads).toBe(0);
    expect(trainConfigSchema.parse({ threads: 4 }).threads).toBe(4);
    for (const bad of [-1, 65, 1.5])
      expect(trainConfigSchema.safeParse({ threads: bad }).success).toBe(false);
  });

  it('the threaded build is only for 2 to 8 threads', async () => {
    await expect(loadThreadedWasm(1)).rejects.toThrow(/2 to 8 threads/);
    await expect(loadThreadedWasm(9)).rejects.toThrow(/2 to 8 threads/);
  });

  it('caches its scripts per tfjs version and user', () => {
    expect(threadedWasmCacheDir('4.22.0')).toMatch(
      new RegExp(`^${os.tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.gan-studio-4\\.22\\.0`),
    );
  });
});

describe('wasm on 2 threads', () => {
  let stock: Probed;
  let threaded: Probed;

  beforeAll(async () => {
    // One after the other: two cores, and each wants both.
    stock = await probe(1);
    threaded = await probe(2);
  });

  it('starts with exactly 2 threads and GAN Studio training kernels', () => {
    expect(threaded.selection).toEqual({ backend: 'wasm', notes: [], threads: 2 });
    expect(threaded.moduleThreads).toBe(2);
    // The calling thread plus one pthread; the pool's 6 idle workers were ended.
    expect(threaded.runningWorkers).toBe(1);
    expect(threaded.unusedWorkers).toBe(0);
    expect(threaded.trainingKernels).toBe(true);
    expect(threaded.exitedByItself).toBe(true);
    expect(stock.selection).toEqual({ backend: 'wasm', notes: [], threads: 1 });
    expect(stock.moduleThreads).toBe(1);
    expect(stock.runningWorkers).toBeNull(); // the stock build has no pthreads at all
  });

  it('computes a conv2d as the cpu backend does', () => {
    expect(threaded.conv.wasm.length).toBe(2 * 9 * 9 * 16);
    expect(maxRelativeError(threaded.conv.wasm, threaded.conv.cpu)).toBeLessThan(1e-4);
  });

  it('trains to the same losses as the single-threaded build from the same seed', () => {
    expect(threaded.losses).toHaveLength(3);
    for (const [i, l] of threaded.losses.entries()) {
      const s = stock.losses[i];
      expect(Number.isFinite(l.dLoss) && Number.isFinite(l.gLoss)).toBe(true);
      expect(Math.abs(l.dLoss - (s?.dLoss ?? NaN))).toBeLessThanOrEqual(1e-6 * Math.abs(s?.dLoss ?? 1));
      expect(Math.abs(l.gLoss - (s?.gLoss ?? NaN))).toBeLessThanOrEqual(1e-6 * Math.abs(s?.gLoss ?? 1));
    }
  });

  it('falls back to the stock build with the reason when the threaded one cannot load', async () => {
    // A temp folder below a plain file: the cache folder for the worker script cannot be made.
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const fallback = await probe(2, path.join(blocker, 'tmp'));
    expect(fallback.selection.backend).toBe('wasm');
    expect(fallback.selection.threads).toBe(1);
    expect(fallback.selection.notes).toEqual([
      {
        name: 'wasm',
        available: true,
        reason: expect.stringMatching(/^Threads unavailable: .*ENOTDIR.*; training on 1 thread\.$/),
      },
    ]);
    expect(fallback.moduleThreads).toBe(1);
    expect(fallback.losses).toEqual(stock.losses);
    expect(fallback.exitedByItself).toBe(true);
  });
});

describe('a training worker asked for 2 threads', () => {
  it("says so in its 'backend' message", async () => {
    const cacheFile = path.join(dir, 'cache.gsdc');
    const count = 4;
    writeTestCache(cacheFile, count);
    const start: StartMessage = {
      type: 'start',
      runId: 'run',
      runDir: path.join(dir, 'run'),
      cacheFile,
      config: trainConfigSchema.parse({ width: 0.125, latentSize: 8, batchSize: 4, steps: 1, threads: 2 }),
      backend: 'wasm',
      datasetSize: count,
    };
    const worker = startWorker(new URL('../../../main/training/worker/worker', import.meta.url));
    const messages = await new Promise<FromWorker[]>((resolve, reject) => {
      const seen: FromWorker[] = [];
      worker.on('message', (m: FromWorker) => {
        seen.push(m);
        if (m.type === 'ended') {
          void worker.terminate();
          resolve(seen);
        }
      });
      worker.once('error', reject);
      worker.postMessage(start);
    });
    expect(messages[0]).toEqual({ type: 'backend', backend: 'wasm', notes: [], threads: 2 });
    expect(messages.at(-1)).toMatchObject({ type: 'ended', reason: 'finished', step: 1 });
  });
});
