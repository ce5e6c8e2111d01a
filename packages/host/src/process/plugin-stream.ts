/**
 * The host side of one `stream` call: an async iterator fed by `$/chunk` notifications, with
 * credit-based flow control so a slow consumer holds the worker back instead of growing our memory.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';

export interface StreamDriver {
  /** Sends the `stream` request; returns the call id. Throws ERR_SERIALIZE etc. synchronously. */
  start(stream: PluginStream<unknown>, credit: number): number;
  /** Grants `n` more chunks to the worker. */
  pull(id: number, n: number): void;
  /** Asks the worker to stop; the driver settles the stream when it has. */
  cancel(id: number, error: BulkheadError): void;
}

/**
 * What `PluginProcess.stream()` returns. Iterate it with `for await`; leaving the loop early
 * (break, return, throw) cancels the stream in the worker.
 */
export class PluginStream<T> implements AsyncIterableIterator<T> {
  readonly #driver: StreamDriver;
  readonly #window: number;
  #id = -1;
  #items: unknown[] = [];
  #head = 0;
  /** Chunks the worker may still send without a further `$/pull`. */
  #outstanding: number;
  #consumedSinceGrant = 0;
  #done = false;
  #error: BulkheadError | null = null;
  /** Pending next() calls, oldest first (a consumer may call next() again before one settles). */
  #waiters: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void }[] = [];
  #started = false;
  #startError: unknown = null;

  /** @internal */
  constructor(driver: StreamDriver, window: number) {
    this.#driver = driver;
    this.#window = window;
    this.#outstanding = window;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The call id in the worker, once started (-1 before). */
  get id(): number {
    return this.#id;
  }

  next(): Promise<IteratorResult<T>> {
    if (!this.#started) this.#start();
    if (this.#startError !== null) {
      const e = this.#startError;
      this.#startError = null;
      this.#done = true;
      return Promise.reject(e);
    }
    if (this.#waiters.length === 0 && this.#head < this.#items.length) {
      return Promise.resolve({ value: this.#take(), done: false });
    }
    if (this.#waiters.length === 0 && this.#error !== null) {
      const e = this.#error;
      this.#error = null;
      return Promise.reject(e);
    }
    if (this.#waiters.length === 0 && this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** Stops reading: cancels the call in the worker (if it is still running). */
  return(): Promise<IteratorResult<T>> {
    this.cancel();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(e?: unknown): Promise<IteratorResult<T>> {
    this.cancel();
    return Promise.reject(e);
  }

  /** Cancels the stream; buffered chunks are dropped. */
  cancel(reason = 'stream abandoned by its consumer'): void {
    if (this.#done) return;
    this.#done = true;
    this.#items = [];
    this.#head = 0;
    if (this.#started && this.#id >= 0) {
      this.#driver.cancel(this.#id, new BulkheadError('ERR_CANCELLED', reason, { forced: false }));
    }
    for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  #start(): void {
    this.#started = true;
    try {
      this.#id = this.#driver.start(this as PluginStream<unknown>, this.#window);
    } catch (e) {
      this.#startError = e;
    }
  }

  #take(): T {
    const item = this.#items[this.#head] as T;
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    // Grant credit back in halves of the window: few `$/pull` frames, and never more buffered
    // here than one window.
    if (++this.#consumedSinceGrant >= this.#window / 2 && !this.#done) {
      this.#outstanding += this.#consumedSinceGrant;
      this.#driver.pull(this.#id, this.#consumedSinceGrant);
      this.#consumedSinceGrant = 0;
    }
    return item;
  }

  /** @internal Chunks arrived. Returns false if the worker sent more than its credit. */
  _push(items: unknown[]): boolean {
    if (items.length > this.#outstanding) return false;
    this.#outstanding -= items.length;
    if (this.#done) return true; // cancelled: drop
    for (const item of items) this.#items.push(item);
    while (this.#waiters.length > 0 && this.#head < this.#items.length) {
      this.#waiters.shift()?.resolve({ value: this.#take(), done: false });
    }
    return true;
  }

  /** @internal The call ended, with an error or not. */
  _end(error: BulkheadError | null): void {
    const wasDone = this.#done;
    this.#done = true;
    if (error !== null && !wasDone) this.#error = error;
    // Items are all taken by now (waiters exist only when the buffer is empty).
    for (const w of this.#waiters.splice(0)) {
      if (this.#error !== null) {
        const e = this.#error;
        this.#error = null;
        w.reject(e);
      } else w.resolve({ value: undefined, done: true });
    }
  }

  /** Chunks received and not yet read. */
  get buffered(): number {
    return this.#items.length - this.#head;
  }
}
