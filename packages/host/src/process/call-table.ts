/**
 * The calls a PluginProcess has open with its worker: each request's id, how it ends (answer,
 * error, timeout, cancel, or the worker going), and the two-step cancel (ask the worker, then
 * kill it after the grace period). The process owns the channel and the worker; this owns the calls.
 * @module
 */
import { BulkheadError, errorFromWire, isWireError, toBulkheadError } from '@bulkhead/sdk/errors';
import { type Channel, Notifications } from '@bulkhead/sdk/protocol';
import type { LogEntry } from './log-buffer.js';
import type { PluginStream, StreamDriver } from './plugin-stream.js';
import type { CallOptions, Progress } from './process-types.js';
import { cancelledError, forcedCancel, protocolError, timedOut, workerExited } from './worker-errors.js';

export const MAX_TIMER_MS = 2 ** 31 - 1;

/** One open call. */
export interface OpenCall {
  resolve(value: unknown): void;
  reject(error: BulkheadError): void;
  onProgress: ((p: Progress) => void) | undefined;
  onLog: ((e: LogEntry) => void) | undefined;
  cancelGraceMs: number | undefined;
  stream: PluginStream<unknown> | undefined;
  /** Set once a cancel was asked for: the error the call ends with. */
  cancelling: BulkheadError | undefined;
  timers: NodeJS.Timeout[];
  dispose: (() => void) | undefined;
}

export interface Request {
  method: string;
  params: unknown;
  /** The caller's options: signal, timeout, callbacks. */
  call?: CallOptions;
  resolve(value: unknown): void;
  reject(error: BulkheadError): void;
  /** For a stream call: where its chunks go. */
  stream?: PluginStream<unknown>;
  /** Told the call's id once it is sent. */
  onId?: (id: number) => void;
  /** A request for the process itself (handshake, configure, ping, shutdown): not counted, not cancellable in the worker. */
  control?: boolean;
}

export interface CallTableHost {
  /** The current worker's channel. */
  channel(): Channel | null;
  /** Why a call cannot be made now (the worker is gone, or stopping for a plugin call), or null. */
  refuse(control: boolean): BulkheadError | null;
  /** Kills the worker: its open calls then fail with `error`. */
  kill(error: BulkheadError): void;
  stderrTail(): string[];
  /** The process's cancel grace, for calls that set none. */
  readonly cancelGraceMs: number;
}

export class CallTable {
  readonly #host: CallTableHost;
  #open = new Map<number, OpenCall>();
  #nextId = 1;
  /** Plugin calls made, and calls (of any kind) that ended in an error, over every worker. */
  calls = 0;
  errors = 0;

  constructor(host: CallTableHost) {
    this.#host = host;
  }

  get size(): number {
    return this.#open.size;
  }

  get(id: number): OpenCall | undefined {
    return this.#open.get(id);
  }

  /** A plugin call (`execute`) as a promise. */
  call(method: string, params: unknown, call: CallOptions): Promise<unknown> {
    return new Promise((resolve, reject) => this.request({ method, params, call, resolve, reject }));
  }

  /** A request for the process itself (handshake, configure, ping, shutdown, stats). */
  control(method: string, params: unknown, timeout?: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.request({ method, params, call: timeout === undefined ? {} : { timeout }, resolve, reject, control: true });
    });
  }

  /** What a PluginStream runs on: its request (`params` plus the first credit), its pulls and its cancel. */
  streamDriver(method: string, params: Record<string, unknown>, call: CallOptions): StreamDriver {
    return {
      start: (stream, credit) => {
        let id = -1;
        this.request({
          method,
          params: { ...params, credit },
          call,
          resolve: () => stream._end(null),
          reject: (e) => stream._end(e),
          stream,
          onId: (n) => {
            id = n;
          },
        });
        return id;
      },
      pull: (id, n) => this.notify(Notifications.pull, { id, n }),
      cancel: (id, error) => this.cancel(id, error),
    };
  }

  /** Sends a request; its outcome goes to `resolve`/`reject`, never thrown. */
  request(r: Request): void {
    const control = r.control === true;
    const refused = this.#host.refuse(control);
    const channel = this.#host.channel();
    if (refused !== null || channel === null) {
      r.reject(refused ?? workerExited('worker is not running', { stderrTail: this.#host.stderrTail() }));
      return;
    }
    const { signal, timeout, onProgress, onLog, cancelGraceMs } = r.call ?? {};
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      r.reject(invalid('The "signal" option must be an AbortSignal'));
      return;
    }
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0 && timeout <= MAX_TIMER_MS)) {
      r.reject(invalid(`The "timeout" option must be a positive number of ms (got ${timeout})`));
      return;
    }
    if (signal?.aborted) {
      r.reject(cancelledError(signal, false));
      return;
    }
    const id = this.#nextId++;
    try {
      channel.send({ id, method: r.method, params: r.params });
    } catch (e) {
      // Nothing was written: the worker never heard of this call.
      r.reject(toBulkheadError(e));
      return;
    }
    r.onId?.(id);
    if (!control) this.calls++;
    const p: OpenCall = {
      resolve: r.resolve,
      reject: r.reject,
      onProgress,
      onLog,
      cancelGraceMs,
      stream: r.stream,
      cancelling: undefined,
      timers: [],
      dispose: undefined,
    };
    this.#open.set(id, p);
    if (timeout !== undefined) {
      const t = setTimeout(() => {
        if (control) {
          // Control requests are not cancellable in the worker; just give up on them.
          this.#open.delete(id);
          this.#settle(p, timedOut(timeout));
        } else this.cancel(id, timedOut(timeout));
      }, timeout);
      p.timers.push(t);
    }
    if (signal !== undefined) {
      const onAbort = () => this.cancel(id, cancelledError(signal, false));
      signal.addEventListener('abort', onAbort, { once: true });
      p.dispose = () => signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Cancel in two steps: ask the worker (`$/cancel` aborts the plugin's signal), and if it has not
   * answered after the grace period, kill the worker and end the call as forcibly cancelled.
   */
  cancel(id: number, error: BulkheadError): void {
    const p = this.#open.get(id);
    if (p === undefined || p.cancelling !== undefined) return;
    p.cancelling = error;
    this.notify(Notifications.cancel, { id, reason: error.message });
    const grace = p.cancelGraceMs ?? this.#host.cancelGraceMs;
    const t = setTimeout(() => {
      if (this.#open.get(id) !== p) return;
      this.#open.delete(id);
      this.#settle(p, forcedCancel(error, grace));
      this.#host.kill(
        workerExited(`worker killed: call ${id} ignored its cancel for ${grace} ms`, {
          signal: 'SIGKILL',
          stderrTail: this.#host.stderrTail(),
          reason: 'cancel-timeout',
        }),
      );
    }, grace);
    t.unref();
    p.timers.push(t);
  }

  /** A notification to the worker, if its channel is open. */
  notify(method: string, params: unknown): void {
    const channel = this.#host.channel();
    if (channel === null || channel.closed) return;
    try {
      channel.send({ method, params });
    } catch {
      // notifications we build are always serializable
    }
  }

  /** The worker answered call `id` (a late answer to a call given up on is dropped). */
  answer(id: number, msg: { result?: unknown; error?: unknown }): void {
    const p = this.#open.get(id);
    if (p === undefined) return;
    this.#open.delete(id);
    if (p.cancelling !== undefined) {
      // Whatever the worker answered, the caller asked to cancel: end it as cancelled.
      this.#settle(p, p.cancelling);
      return;
    }
    if (msg.error !== undefined) {
      if (!isWireError(msg.error)) throw protocolError(`response ${id} has a malformed "error"`);
      this.#settle(p, errorFromWire(msg.error));
    } else this.#settle(p, null, msg.result);
  }

  /** The worker is gone (or a new one starts): every open call ends with `error`. */
  failAll(error: BulkheadError): void {
    const open = this.#open;
    this.#open = new Map();
    for (const p of open.values()) this.#settle(p, error);
  }

  /** Forgets open calls without ending them (a fresh worker starts with none). */
  reset(): void {
    this.#open = new Map();
  }

  #settle(p: OpenCall, error: BulkheadError | null, value?: unknown): void {
    for (const t of p.timers) clearTimeout(t);
    p.dispose?.();
    if (error !== null) {
      this.errors++;
      p.reject(error);
    } else p.resolve(value);
  }
}

function invalid(message: string): BulkheadError {
  return new BulkheadError('ERR_INVALID_ARGUMENT', message);
}
