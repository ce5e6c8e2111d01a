/**
 * One client of the control server: reads its request lines, runs them on the QueueClient, writes
 * the answers and the events of its watches. Whatever a client sends, the worst it gets is an
 * error answer (or, past the line limit, a closed connection); the server and its other clients
 * go on.
 * @module
 */
import type { Socket } from 'node:net';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { JobWatchEvent, QueueClient } from './types.js';
import {
  CONTROL_PROTOCOL_VERSION,
  type ControlMessage,
  type ControlRequest,
  decodeLine,
  encodeLine,
  errorToWire,
  type HelloResult,
  idOfBadLine,
  LineReader,
} from './wire.js';

/**
 * Progress and log events are dropped while this much is queued for a client that does not read:
 * the host's memory must not grow with a stalled client. Responses are always sent.
 */
const EVENT_HIGH_WATER_BYTES = 1024 * 1024;

type Params = Record<string, unknown>;
type Handler = (p: Params, requestId: number) => Promise<unknown>;

/** One connected client: reads its requests, runs them on the client, writes answers and events. */
export class Connection {
  readonly socket: Socket;
  /** Open watches by the id of their `watch` request. */
  readonly watches = new Map<number, AbortController>();
  readonly #client: QueueClient;
  readonly #hello: HelloResult;
  readonly #maxLineBytes: number;
  readonly #reader: LineReader;
  readonly #methods: Record<string, Handler>;
  #greeted = false;
  #dead = false;

  constructor(socket: Socket, client: QueueClient, hello: HelloResult, maxLineBytes: number) {
    this.socket = socket;
    this.#client = client;
    this.#hello = hello;
    this.#maxLineBytes = maxLineBytes;
    this.#reader = new LineReader(maxLineBytes);
    this.#methods = this.#handlers();
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    // EPIPE, ECONNRESET: the client went away; 'close' follows and cleans up.
    socket.on('error', () => {});
    socket.once('close', () => {
      this.#dead = true;
      for (const w of this.watches.values()) w.abort(new BulkheadError('ERR_CANCELLED', 'the client disconnected'));
    });
  }

  #read(chunk: Buffer): void {
    if (this.#dead) return;
    let lines: string[];
    try {
      lines = this.#reader.push(chunk);
    } catch (e) {
      // Past the limit the rest of the line cannot be skipped without reading it: say why, then hang up.
      this.#dead = true;
      this.socket.end(encodeLine({ id: null, error: errorToWire(e) }), () => this.socket.destroy());
      return;
    }
    for (const line of lines) if (line.trim() !== '') this.#handle(line);
  }

  #handle(line: string): void {
    let msg: ControlMessage;
    try {
      msg = decodeLine(line);
    } catch (e) {
      this.#send({ id: idOfBadLine(line), error: errorToWire(e) });
      return;
    }
    if (!('method' in msg) || !('id' in msg)) {
      const error = errorToWire(new BulkheadError('ERR_PROTOCOL', 'the host takes requests only'));
      this.#send({ id: 'id' in msg ? msg.id : null, error });
      return;
    }
    void this.#run(msg).then(
      (result) => this.#send({ id: msg.id, result: result === undefined ? null : result }),
      (e) => this.#send({ id: msg.id, error: errorToWire(e) }),
    );
  }

  async #run(req: ControlRequest): Promise<unknown> {
    const params = req.params ?? {};
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw invalid('"params" must be an object');
    }
    if (req.method !== 'hello' && !this.#greeted) throw new BulkheadError('ERR_PROTOCOL', 'send "hello" first');
    const handler = Object.hasOwn(this.#methods, req.method) ? this.#methods[req.method] : undefined;
    if (handler === undefined) {
      throw new BulkheadError('ERR_METHOD_NOT_FOUND', `unknown method ${JSON.stringify(req.method)}`);
    }
    return handler(params as Params, req.id);
  }

  #handlers(): Record<string, Handler> {
    const c = this.#client;
    return {
      hello: async (p) => {
        if (p.version !== CONTROL_PROTOCOL_VERSION) {
          throw new BulkheadError(
            'ERR_PROTOCOL_VERSION',
            `this host speaks control protocol ${CONTROL_PROTOCOL_VERSION}, the client ${String(p.version)}`,
            { host: String(CONTROL_PROTOCOL_VERSION), worker: String(p.version) },
          );
        }
        this.#greeted = true;
        return this.#hello;
      },
      submit: (p) => c.submit(str(p, 'plugin'), p.input, optObj(p, 'options')),
      get: (p) => c.get(str(p, 'id')),
      list: (p) => c.list(optObj(p, 'filter'), optObj(p, 'options')),
      cancel: (p) => c.cancel(str(p, 'id')),
      jobLogs: (p) => c.jobLogs(str(p, 'id'), optCount(p, 'limit')),
      explain: (p) => c.explain(str(p, 'id')),
      resolveId: (p) => c.resolveId(str(p, 'prefix')),
      prune: (p) => c.prune(obj(p, 'policy')),
      watch: (p, requestId) => this.#watch(str(p, 'id'), requestId),
      unwatch: async (p) => {
        const watch = p.watch;
        if (typeof watch !== 'number') throw invalid('"watch" must be the id of a watch request');
        this.watches.get(watch)?.abort(new BulkheadError('ERR_CANCELLED', 'unwatched'));
        return null;
      },
      plugins: () => c.plugins(),
      updateConfig: (p) => c.updateConfig(str(p, 'name'), obj(p, 'patch')),
      setEnabled: (p) => {
        if (typeof p.enabled !== 'boolean') throw invalid('"enabled" must be a boolean');
        return c.setEnabled(str(p, 'name'), p.enabled);
      },
      telemetry: (p) => c.telemetry(str(p, 'name')),
      snapshot: (p) => c.snapshot({ recent: optCount(p, 'recent'), pending: optCount(p, 'pending') }),
      reorder: (p) => c.reorder(str(p, 'id'), obj(p, 'to')),
      retry: (p) => c.retry(str(p, 'id')),
      loadPlugin: (p) => c.loadPlugin(str(p, 'name')),
      unloadPlugin: async (p) => {
        await c.unloadPlugin(str(p, 'name'));
        return null;
      },
      reloadPlugin: (p) => c.reloadPlugin(str(p, 'name')),
      resetPlugin: (p) => c.resetPlugin(str(p, 'name')),
      pluginSchemas: (p) => c.pluginSchemas(str(p, 'name')),
      pluginLogs: (p) => c.pluginLogs(str(p, 'name'), optCount(p, 'tail')),
      system: () => c.system(),
    };
  }

  /** Events go out as `job.event` notifications tagged with the request's id; the answer is the final job. */
  async #watch(id: string, requestId: number): Promise<unknown> {
    if (this.watches.has(requestId)) throw invalid(`request id ${requestId} already names an open watch`);
    const stop = new AbortController();
    this.watches.set(requestId, stop);
    try {
      return await this.#client.watch(id, (event) => this.#event(requestId, event), stop.signal);
    } finally {
      this.watches.delete(requestId);
    }
  }

  #event(watch: number, event: JobWatchEvent): void {
    if (event.type !== 'started' && this.socket.writableLength > EVENT_HIGH_WATER_BYTES) return;
    this.#send({ method: 'job.event', params: { watch, event } });
  }

  #send(message: ControlMessage): void {
    if (this.#dead || this.socket.destroyed) return;
    let line: string;
    try {
      line = encodeLine(message, this.#maxLineBytes);
    } catch (e) {
      // A result too large (or unsendable) for the line limit: its caller gets the reason instead.
      if (!('id' in message)) return;
      const { code, message: why } = errorToWire(e);
      line = encodeLine({ id: message.id, error: { code, message: why } });
    }
    this.socket.write(line);
  }
}

function invalid(message: string): BulkheadError {
  return new BulkheadError('ERR_INVALID_ARGUMENT', message);
}

function obj<T>(p: Params, key: string): T {
  const v = optObj<T>(p, key);
  if (v === undefined) throw invalid(`"${key}" must be an object`);
  return v;
}

function str(p: Params, key: string): string {
  const v = p[key];
  if (typeof v !== 'string' || v === '') throw invalid(`"${key}" must be a non-empty string`);
  return v;
}

function optObj<T>(p: Params, key: string): T | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`"${key}" must be an object`);
  return v as T;
}

function optCount(p: Params, key: string): number | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw invalid(`"${key}" must be an integer ≥ 0`);
  return v as number;
}
