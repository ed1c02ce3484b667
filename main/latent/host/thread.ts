import type { Worker } from 'node:worker_threads';
import type { BackendName } from '../../../shared/config.js';
import { ApiError } from '../../../shared/errors.js';
import { diskFullMessage, isDiskFull } from '../../common/disk-space.js';
import { startWorker } from '../../common/worker-start.js';
import type {
  FromLatentWorker,
  LatentRequest,
  LatentResult,
  LatentWorkerData,
  ToLatentWorker,
} from '../protocol.js';

/**
 * Generator worker threads (../worker/) and their requests in flight. The explorer keeps one
 * (ExplorerThread), let go when idle; each generated data set has its own (generation.ts), so a
 * long generation neither waits behind nor holds up the explorer.
 */

interface Pending {
  resolve(result: LatentResult): void;
  reject(error: Error): void;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** One worker thread and its requests in flight. */
export class LatentThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;
  backend: BackendName | null = null;

  constructor(data: LatentWorkerData, name: string, onIdle: () => void) {
    this.worker = startWorker(new URL('../worker/worker', import.meta.url), { workerData: data, name });
    this.worker.on('message', (message: FromLatentWorker) => {
      if (message.type === 'backend') {
        this.backend = message.backend;
        return;
      }
      const pending = this.pending.get(message.id);
      if (!pending) return;
      if (message.type === 'progress') {
        pending.onProgress?.(message.done, message.total);
        return;
      }
      this.pending.delete(message.id);
      if (message.type === 'result') pending.resolve(message.result);
      else pending.reject(workerError(message.message));
      if (this.pending.size === 0) onIdle();
    });
    const failAll = (error: Error) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (err) =>
      failAll(
        new ApiError(
          'internal',
          `The generator worker crashed (${err.message}). Try again; with a large run, ask for fewer images at once.`,
        ),
      ),
    );
    this.worker.on('exit', (code) =>
      failAll(
        new ApiError(
          'unavailable',
          code === 0 || code === 1
            ? 'The generator worker was stopped (the studio is closing, or the work was cancelled).'
            : `The generator worker exited unexpectedly (code ${code}). Try again.`,
        ),
      ),
    );
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  get alive(): boolean {
    return !this.exited;
  }

  request(
    request: LatentRequest,
    onProgress?: (done: number, total: number) => void,
  ): { id: number; result: Promise<LatentResult> } {
    const id = this.nextId++;
    const result = new Promise<LatentResult>((resolve, reject) => {
      if (this.exited) {
        reject(new ApiError('unavailable', 'The generator worker has stopped. Try again.'));
        return;
      }
      this.pending.set(id, { resolve, reject, onProgress });
    });
    if (!this.exited) this.worker.postMessage({ type: 'request', id, request } satisfies ToLatentWorker);
    return { id, result };
  }

  cancel(id: number): void {
    if (!this.exited) this.worker.postMessage({ type: 'cancel', id } satisfies ToLatentWorker);
  }

  async terminate(): Promise<void> {
    this.exited = true;
    await this.worker.terminate();
  }
}

/** A worker's message as an API error: what failed, in the worker's words, and what to do. */
function workerError(message: string): ApiError {
  if (isDiskFull(message)) return new ApiError('unavailable', diskFullMessage);
  if (/checkpoint .* is gone/i.test(message)) return new ApiError('not_found', message);
  if (/checkpoint .* is damaged/i.test(message)) return new ApiError('conflict', message);
  return new ApiError('internal', `Generating failed: ${message}`);
}

/** The explorer's worker: started on the first request, let go once idle for a while. */
export class ExplorerThread {
  private interactive: LatentThread | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(
    private readonly workerData: LatentWorkerData,
    private readonly idleMs: number,
  ) {}

  private thread(): LatentThread {
    if (this.closing) {
      throw new ApiError('unavailable', 'GAN Studio is closing; the generator cannot start now.');
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.interactive?.alive) {
      this.interactive = new LatentThread(this.workerData, 'latent-explorer', () => this.scheduleIdle());
    }
    return this.interactive;
  }

  /** Lets the explorer's worker go once nothing has been asked of it for a while. */
  private scheduleIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      const thread = this.interactive;
      if (thread && !thread.busy) {
        this.interactive = null;
        void thread.terminate();
      }
    }, this.idleMs);
    this.idleTimer.unref();
  }

  async ask<K extends LatentResult['kind']>(
    request: LatentRequest,
    kind: K,
  ): Promise<Extract<LatentResult, { kind: K }>> {
    let result: LatentResult;
    try {
      result = await this.thread().request(request).result;
    } catch (error) {
      if (isDiskFull(error)) throw new ApiError('unavailable', diskFullMessage);
      throw error;
    }
    if (result.kind !== kind) throw new Error(`The generator worker answered ${result.kind}, not ${kind}.`);
    return result as Extract<LatentResult, { kind: K }>;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await this.interactive?.terminate().catch(() => undefined);
    this.interactive = null;
  }
}
