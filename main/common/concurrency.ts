/** Small async helpers shared by the scan, the cache worker and thumbnails. */

export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new DOMException('The operation was aborted.', 'AbortError');
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** At most `limit` tasks at a time; later ones wait in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Maps items with at most `concurrency` calls running, yielding results in input order. Up to
 * `window` results may be started ahead of the one being waited for, so one slow file does not
 * stall the others. Order matters to the scan: "the first of two identical files is kept" must
 * mean first in folder order, not first to finish.
 *
 * On abort the generator throws, after letting the calls already running finish (queued ones are
 * not started), so no work is left running behind the caller's back.
 */
export async function* orderedMap<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  fn: (item: T, index: number) => Promise<R>,
  options: { concurrency: number; window?: number; signal?: AbortSignal },
): AsyncGenerator<R> {
  const { concurrency, signal } = options;
  const window = Math.max(concurrency, options.window ?? concurrency * 4);
  const semaphore = new Semaphore(concurrency);
  const iterator: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const queue: Promise<R>[] = [];
  let exhausted = false;
  let index = 0;
  try {
    for (;;) {
      while (!exhausted && queue.length < window) {
        throwIfAborted(signal);
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const item = next.value;
        const i = index++;
        const promise = semaphore.run(() => {
          throwIfAborted(signal);
          return fn(item, i);
        });
        // Rejections are observed when the promise reaches the head; this only keeps Node from
        // reporting them as unhandled in the meantime.
        promise.catch(() => undefined);
        queue.push(promise);
      }
      const head = queue.shift();
      if (!head) return;
      yield await head;
    }
  } finally {
    await Promise.allSettled(queue);
    await iterator.return?.();
  }
}

/**
 * Runs an async source to its end in the background, buffering what it yields, so a consumer can
 * take items at its own pace while `count` already tells how many there will be (the total of a
 * progress bar). An error of the source is thrown to the consumer after the items before it.
 */
export class EagerQueue<T> implements AsyncIterable<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private produced = 0;
  private finished = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  private readonly pump: Promise<void>;

  constructor(source: AsyncIterable<T>) {
    this.pump = this.run(source);
  }

  /** Items produced so far; final once `done` is true. */
  get count(): number {
    return this.produced;
  }

  get done(): boolean {
    return this.finished;
  }

  /** Resolves when the source has ended (never rejects). */
  settled(): Promise<void> {
    return this.pump;
  }

  private async run(source: AsyncIterable<T>): Promise<void> {
    try {
      for await (const item of source) {
        this.items.push(item);
        this.produced++;
        this.notify();
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.finished = true;
      this.notify();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.head < this.items.length) {
        const item = this.items[this.head] as T;
        this.items[this.head++] = undefined;
        // Drop consumed slots now and then so a long walk does not keep every entry alive.
        if (this.head > 4096 && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        yield item;
        continue;
      }
      if (this.finished) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/**
 * Calls `send` at most once per `intervalMs` (the UI needs ~10 updates a second, not one per
 * file); `flush` sends the latest value if it was held back.
 */
export class Throttle<T> {
  private last = 0;
  private pending: { value: T } | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (value: T) => void,
  ) {}

  push(value: T): void {
    const now = Date.now();
    if (now - this.last >= this.intervalMs) {
      this.last = now;
      this.pending = undefined;
      this.send(value);
    } else {
      this.pending = { value };
    }
  }

  flush(): void {
    if (!this.pending) return;
    const { value } = this.pending;
    this.pending = undefined;
    this.last = Date.now();
    this.send(value);
  }
}

/**
 * A bounded queue between a producer and one async consumer: `push` waits while `capacity`
 * items are waiting, so a fast producer cannot pile up memory (decoded pixels, say) ahead of a
 * slower consumer.
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private closed = false;
  private wakeConsumer: (() => void) | undefined;
  private readonly wakeProducers: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed)
      await new Promise<void>((resolve) => this.wakeProducers.push(resolve));
    if (this.closed) throw new Error('Channel: push after close');
    this.items.push(item);
    this.wake();
  }

  /** No more items: the consumer ends after the ones waiting. */
  close(): void {
    this.closed = true;
    this.wake();
    for (const wake of this.wakeProducers.splice(0)) wake();
  }

  private wake(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        this.wakeProducers.shift()?.();
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }
}
