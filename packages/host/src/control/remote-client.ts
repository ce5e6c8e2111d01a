/**
 * The QueueClient of a process that does not own the home's job database: every call goes over the
 * control socket to the process that does (docs/control.md).
 *
 * @example
 * const client = (await connectControl(home)) ?? (await openLocally(home));
 * const id = await client.submit('transcribe', { file: 'a.wav' });
 * const job = await client.watch(id, (e) => e.type === 'progress' && console.log(e.fraction));
 * @module
 */
import { EventEmitter } from 'node:events';
import { lstatSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { BulkheadError, errorFromWire, isBulkheadError } from '@bulkhead/sdk/errors';
import type { ConfigApplied, PluginSummary, PluginTelemetry } from '../manager/types.js';
import type { LogEntry } from '../process/log-buffer.js';
import type { JobFilter, RetentionPolicy } from '../queue/job-store.js';
import type { Explanation, Job, QueueSnapshot, SubmitOptions } from '../queue/types.js';
import { controlSocketDir, controlSocketPath } from './socket-path.js';
import type { JobWatchEvent, PluginSchemas, QueueClient, SystemView } from './types.js';
import {
  CONTROL_PROTOCOL_VERSION,
  type ControlMessage,
  decodeLine,
  encodeLine,
  type HelloResult,
  LineReader,
  MAX_LINE_BYTES,
} from './wire.js';

export interface ConnectControlOptions {
  /** Connecting and the hello exchange together. Default 5 s; past it, ERR_TIMEOUT. */
  timeoutMs?: number;
  /** Longest line accepted from the host. Default {@link MAX_LINE_BYTES}. */
  maxLineBytes?: number;
}

export interface RemoteQueueClientEvents {
  /** The connection ended without `close()`: the host exited or was killed. */
  disconnect: [BulkheadError<'ERR_HOST_GONE'>];
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: BulkheadError) => void;
}

export class RemoteQueueClient extends EventEmitter<RemoteQueueClientEvents> implements QueueClient {
  readonly mode = 'remote' as const;
  /** The socket this client is connected to. */
  readonly path: string;
  readonly #socket: Socket;
  readonly #maxLineBytes: number;
  readonly #pending = new Map<number, Pending>();
  readonly #watchers = new Map<number, (e: JobWatchEvent) => void>();
  #nextId = 1;
  /** Why calls fail now: the host went away, or close() was called. */
  #gone: BulkheadError | null = null;
  #host: HelloResult | null = null;
  /** The socket's last error, kept to say why the host went away. */
  #lastError: Error | null = null;

  /** @internal use {@link connectControl} */
  constructor(socket: Socket, path: string, maxLineBytes: number) {
    super();
    this.#socket = socket;
    this.path = path;
    this.#maxLineBytes = maxLineBytes;
    const reader = new LineReader(maxLineBytes);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const line of reader.push(chunk)) if (line.trim() !== '') this.#receive(decodeLine(line));
      } catch (e) {
        // A host that breaks the protocol cannot be trusted with the calls still open.
        socket.destroy(e as Error);
      }
    });
    // Without this listener a reset connection would be an uncaught 'error' and kill the process.
    socket.on('error', (e) => {
      this.#lastError = e;
    });
    socket.once('close', () => this.#hostGone());
    this.#updateRef();
  }

  /** The host's answer to hello: its pid, home and protocol version. */
  get host(): HelloResult {
    if (this.#host === null) throw new BulkheadError('ERR_PROTOCOL', 'not connected yet');
    return this.#host;
  }

  /** False once the host went away or close() was called. */
  get connected(): boolean {
    return this.#gone === null;
  }

  /** @internal the hello exchange; connectControl calls it once. */
  async hello(): Promise<HelloResult> {
    this.#host = (await this.#call('hello', { version: CONTROL_PROTOCOL_VERSION })) as HelloResult;
    if (this.#host.version !== CONTROL_PROTOCOL_VERSION) {
      throw new BulkheadError(
        'ERR_PROTOCOL_VERSION',
        `the host speaks control protocol ${this.#host.version}, this client ${CONTROL_PROTOCOL_VERSION}`,
        { host: String(this.#host.version), worker: String(CONTROL_PROTOCOL_VERSION) },
      );
    }
    return this.#host;
  }

  submit(plugin: string, input: unknown, options?: SubmitOptions): Promise<string> {
    return this.#call('submit', { plugin, input, options }) as Promise<string>;
  }

  get(id: string): Promise<Job> {
    return this.#call('get', { id }) as Promise<Job>;
  }

  list(filter?: JobFilter, options?: { values?: boolean }): Promise<{ jobs: Job[]; next: string | null }> {
    return this.#call('list', { filter, ...(options ? { options } : {}) }) as Promise<{
      jobs: Job[];
      next: string | null;
    }>;
  }

  cancel(id: string): Promise<Job> {
    return this.#call('cancel', { id }) as Promise<Job>;
  }

  jobLogs(id: string, limit?: number): Promise<LogEntry[]> {
    return this.#call('jobLogs', { id, limit }) as Promise<LogEntry[]>;
  }

  resolveId(prefix: string): Promise<string> {
    return this.#call('resolveId', { prefix }) as Promise<string>;
  }

  prune(policy: RetentionPolicy): Promise<number> {
    return this.#call('prune', { policy }) as Promise<number>;
  }

  explain(id: string): Promise<Explanation> {
    return this.#call('explain', { id }) as Promise<Explanation>;
  }

  async watch(id: string, onEvent: (e: JobWatchEvent) => void, signal?: AbortSignal): Promise<Job> {
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', 'The `signal` option must be an AbortSignal');
    }
    const requestId = this.#nextId++;
    const stopped = (why: unknown) =>
      new BulkheadError('ERR_CANCELLED', `stopped watching job ${id}`, { forced: false }, { cause: why });
    if (signal?.aborted) throw stopped(signal.reason);
    // Ends the watch here at once and tells the host, whose own answer then finds nobody waiting.
    const end = (error: BulkheadError | unknown) => {
      const pending = this.#pending.get(requestId);
      if (pending === undefined) return;
      this.#settle(requestId);
      if (this.#gone === null) void this.#call('unwatch', { watch: requestId }).catch(() => {});
      pending.reject(error as BulkheadError);
    };
    this.#watchers.set(requestId, (e) => {
      try {
        onEvent(e);
      } catch (error) {
        end(error);
      }
    });
    const onAbort = () => end(stopped(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return (await this.#call('watch', { id }, requestId)) as Job;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#watchers.delete(requestId);
    }
  }

  plugins(): Promise<PluginSummary[]> {
    return this.#call('plugins', {}) as Promise<PluginSummary[]>;
  }

  updateConfig(name: string, patch: Record<string, unknown>): Promise<{ applied: ConfigApplied }> {
    return this.#call('updateConfig', { name, patch }) as Promise<{ applied: ConfigApplied }>;
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    await this.#call('setEnabled', { name, enabled });
  }

  telemetry(name: string): Promise<PluginTelemetry> {
    return this.#call('telemetry', { name }) as Promise<PluginTelemetry>;
  }

  snapshot(options?: { recent?: number; pending?: number }): Promise<QueueSnapshot> {
    return this.#call('snapshot', { ...options }) as Promise<QueueSnapshot>;
  }

  reorder(id: string, to: { position: number } | { priority: number }): Promise<Job> {
    return this.#call('reorder', { id, to }) as Promise<Job>;
  }

  retry(id: string): Promise<string> {
    return this.#call('retry', { id }) as Promise<string>;
  }

  loadPlugin(name: string): Promise<PluginSummary> {
    return this.#call('loadPlugin', { name }) as Promise<PluginSummary>;
  }

  async unloadPlugin(name: string): Promise<void> {
    await this.#call('unloadPlugin', { name });
  }

  reloadPlugin(name: string): Promise<PluginSummary> {
    return this.#call('reloadPlugin', { name }) as Promise<PluginSummary>;
  }

  resetPlugin(name: string): Promise<PluginSummary> {
    return this.#call('resetPlugin', { name }) as Promise<PluginSummary>;
  }

  pluginSchemas(name: string): Promise<PluginSchemas> {
    return this.#call('pluginSchemas', { name }) as Promise<PluginSchemas>;
  }

  pluginLogs(name: string, tail?: number): Promise<LogEntry[]> {
    return this.#call('pluginLogs', { name, tail }) as Promise<LogEntry[]>;
  }

  system(): Promise<SystemView> {
    return this.#call('system', {}) as Promise<SystemView>;
  }

  /** Disconnects; open calls and watches reject with ERR_QUEUE_CLOSED. The host and its jobs go on. Idempotent. */
  async close(): Promise<void> {
    if (this.#gone !== null) return;
    this.#fail(new BulkheadError('ERR_QUEUE_CLOSED', 'the queue client was closed'));
    this.#socket.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #call(method: string, params: Record<string, unknown>, id = this.#nextId++): Promise<unknown> {
    if (this.#gone !== null) return Promise.reject(this.#gone);
    let line: string;
    try {
      line = encodeLine({ id, method, params }, this.#maxLineBytes);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#updateRef();
      this.#socket.write(line);
    });
  }

  #receive(msg: ControlMessage): void {
    if ('method' in msg) {
      if (msg.method === 'job.event' && 'params' in msg) {
        const { watch, event } = msg.params as { watch: number; event: JobWatchEvent };
        this.#watchers.get(watch)?.(event);
      }
      return;
    }
    // An answer with no id is about a line the host could not read (too long, when the two limits
    // differ): it hangs up next, and this says why.
    if (msg.id === null) {
      if ('error' in msg) this.#lastError = errorFromWire(msg.error);
      return;
    }
    const pending = this.#pending.get(msg.id);
    if (pending === undefined) return;
    this.#settle(msg.id);
    if ('error' in msg) pending.reject(errorFromWire(msg.error));
    else pending.resolve(msg.result);
  }

  #settle(id: number): void {
    this.#pending.delete(id);
    this.#updateRef();
  }

  #hostGone(): void {
    if (this.#gone !== null) return;
    const reason = this.#lastError?.message ?? 'the connection was closed';
    const error = new BulkheadError(
      'ERR_HOST_GONE',
      `the Bulkhead host on ${this.path} went away (${reason}); the jobs are kept in its job database`,
      { socketPath: this.path, detail: reason },
      { cause: this.#lastError ?? undefined },
    );
    this.#fail(error);
    this.emit('disconnect', error);
  }

  #fail(error: BulkheadError): void {
    this.#gone = error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#watchers.clear();
    for (const p of pending) p.reject(error);
    this.#updateRef();
  }

  /** The socket keeps the process alive only while something waits on it: a forgotten client does not. */
  #updateRef(): void {
    if (this.#pending.size > 0 && this.#gone === null) this.#socket.ref();
    else this.#socket.unref();
  }
}

/**
 * Connects to the live host of `home`, or returns null when there is none (no socket file, or
 * nobody listening on it: the caller may then open the job database itself).
 */
export async function connectControl(
  home: string,
  options: ConnectControlOptions = {},
): Promise<RemoteQueueClient | null> {
  const path = controlSocketPath(home);
  const timeoutMs = options.timeoutMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  try {
    const st = lstatSync(path);
    // Outside the home (a long home's socket lives in the shared tmpdir) anyone could have made the
    // file first: talk only to a socket of this user's, or root's.
    const uid = process.getuid?.();
    if (controlSocketDir(home) === null && uid !== undefined && st.uid !== uid && st.uid !== 0) {
      throw new BulkheadError(
        'ERR_STORE_UNAVAILABLE',
        `control socket ${path} belongs to uid ${st.uid}, not to you; refusing to use it`,
        { file: path, reason: 'foreign-owner' },
      );
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const socket = await new Promise<Socket | null>((resolve, reject) => {
    const s = connect({ path });
    const timer = setTimeout(() => {
      s.destroy();
      reject(timeout(path, timeoutMs));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') resolve(null);
      else
        reject(
          new BulkheadError(
            'ERR_STORE_UNAVAILABLE',
            `cannot connect to ${path}: ${e.message}`,
            { file: path, reason: 'connect-failed', ...(e.code ? { errno: e.code } : {}) },
            { cause: e },
          ),
        );
    });
  });
  if (socket === null) return null;
  const client = new RemoteQueueClient(socket, path, options.maxLineBytes ?? MAX_LINE_BYTES);
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      socket.destroy();
    },
    Math.max(0, deadline - Date.now()),
  );
  try {
    await client.hello();
    return client;
  } catch (e) {
    await client.close();
    if (timedOut) throw timeout(path, timeoutMs);
    // It exited between our connect and its answer: as good as nobody listening.
    if (isBulkheadError(e, 'ERR_HOST_GONE')) return null;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function timeout(path: string, timeoutMs: number): BulkheadError {
  return new BulkheadError('ERR_TIMEOUT', `the Bulkhead host on ${path} did not answer within ${timeoutMs} ms`, {
    timeoutMs,
    forced: false,
  });
}
