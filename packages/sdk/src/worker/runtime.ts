/**
 * The worker runtime: answers the host's requests by calling one plugin.
 * It knows nothing of processes; main.ts wires it to fd 3 and the process.
 * @module
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { AnyPlugin, InitContext, Logger, PluginContext, PluginDefinition } from '../define-plugin.js';
import { BulkheadError, isBulkheadError, toBulkheadError } from '../errors.js';
import { parseWith, toJsonSchema } from '../plugin-schema.js';
import type { Channel } from '../protocol/channel.js';
import { encodeChunkFrame } from '../protocol/frame.js';
import {
  type CancelParams,
  type ExecuteParams,
  type InitializeParams,
  type InitializeResult,
  isRequest,
  type LogLevel,
  type Message,
  Methods,
  Notifications,
  type PullParams,
  type RequestMessage,
  type StatsResult,
  type StreamParams,
} from '../protocol/messages.js';
import { preparePayload, SNAPSHOT_MAX_BYTES } from '../protocol/payload.js';
import { assertCompatible, PROTOCOL_VERSION } from '../protocol/version.js';

/** How long shutdown waits for aborted calls to finish before running the plugin's cleanup. */
const SHUTDOWN_DRAIN_MS = 1000;

/** Longest `ctx.log` message sent; longer ones are cut (the host keeps logs bounded). */
const MAX_LOG_MESSAGE = 16 * 1024;

function clip(text: string): string {
  return text.length > MAX_LOG_MESSAGE ? `${text.slice(0, MAX_LOG_MESSAGE)} …[truncated]` : text;
}

/** Items per `$/chunk` frame at most; more are sent in further frames. */
const MAX_BATCH = 1024;
/** Room kept in a `$/chunk` frame for its envelope (method, id, the "bin" list's brackets). */
const CHUNK_FRAME_OVERHEAD = 256;

/** Adds `by` to every `{"$bin":i}` index in an item's JSON (binary refs are the only such objects). */
function shiftRefs(json: string, by: number): string {
  return json.replace(/\{"\$bin":(\d+)/g, (_, i: string) => `{"$bin":${Number(i) + by}`);
}

// biome-ignore lint/suspicious/noExplicitAny: the runtime calls plugins of any type
type AnyDefinition = PluginDefinition<any, any, any, any, any>;

/**
 * One call in flight. Its AbortController is made only if the plugin reads `ctx.signal`: creating
 * one costs microseconds, more than the rest of a no-op call.
 */
class Call {
  #controller: AbortController | null = null;
  /** Set when the host cancelled the call (or the worker is shutting down). */
  abortReason: BulkheadError | null = null;
  /** Stream calls only: chunks the host still accepts before it sends `$/pull`. */
  credits: number;
  /** Wakes a stream waiting for credit (or for its cancellation). */
  wake: (() => void) | null = null;
  /** Stream items encoded as JSON, waiting for the next `$/chunk`, and their attachments. */
  batch: string[] = [];
  batchBins: Uint8Array[] = [];
  batchBytes = 0;
  flushScheduled = false;
  progress: { fraction?: number; message?: string } | null = null;

  constructor(credits: number) {
    this.credits = credits;
  }

  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.abortReason !== null) this.#controller.abort(this.abortReason);
    }
    return this.#controller.signal;
  }

  abort(reason: BulkheadError): void {
    if (this.abortReason !== null) return;
    this.abortReason = reason;
    this.#controller?.abort(reason);
    this.wake?.();
  }
}

type ProgressSink = (id: number, call: Call, fraction?: number, message?: string) => void;

/** `ctx` of a call; methods live on the prototype so a call allocates one small object. */
class CallContext implements PluginContext<unknown> {
  readonly callId: number;
  readonly config: unknown;
  readonly #call: Call;
  readonly #sink: ProgressSink;
  readonly #logger: (id: number | undefined) => Logger;
  #log: Logger | null = null;

  constructor(id: number, call: Call, config: unknown, sink: ProgressSink, logger: (id: number | undefined) => Logger) {
    this.callId = id;
    this.#call = call;
    this.config = config;
    this.#sink = sink;
    this.#logger = logger;
  }

  get signal(): AbortSignal {
    return this.#call.signal;
  }

  get log(): Logger {
    this.#log ??= this.#logger(this.callId);
    return this.#log;
  }

  progress(fraction?: number, message?: string): void {
    this.#sink(this.callId, this.#call, fraction, message);
  }
}

export interface WorkerRuntimeOptions {
  /** Called after a `shutdown` request was answered: the process should exit. */
  onShutdown(): void;
}

export class WorkerRuntime {
  readonly #channel: Channel;
  readonly #plugin: Promise<AnyPlugin>;
  readonly #options: WorkerRuntimeOptions;
  readonly #calls = new Map<number, Call>();
  readonly #started = Date.now();
  #definition: AnyDefinition | null = null;
  #config: unknown = {};
  #shuttingDown = false;
  #initializing = false;

  constructor(channel: Channel, plugin: Promise<AnyPlugin>, options: WorkerRuntimeOptions) {
    this.#channel = channel;
    this.#plugin = plugin;
    this.#options = options;
    // A failed load is reported in the answer to `initialize`; don't crash on it before that.
    plugin.catch(() => {});
  }

  /** Entry point for every message from the host. */
  handle(message: Message): void {
    if (isRequest(message)) {
      void this.#request(message);
      return;
    }
    const params = (message as { params?: unknown }).params as Record<string, unknown> | undefined;
    switch ((message as { method?: string }).method) {
      case Notifications.cancel: {
        const p = (params ?? {}) as unknown as CancelParams;
        this.#calls
          .get(p.id)
          ?.abort(new BulkheadError('ERR_CANCELLED', p.reason ?? 'cancelled by host', { forced: false }));
        return;
      }
      case Notifications.pull: {
        const p = params as unknown as PullParams | undefined;
        const call = this.#calls.get(Number(p?.id));
        // A credit that is not a positive integer would let a stream run unbounded: ignore it.
        if (call && Number.isSafeInteger(p?.n) && (p?.n as number) > 0) {
          call.credits += p?.n as number;
          call.wake?.();
        }
        return;
      }
      default:
        return; // unknown notifications are ignored, as the protocol says
    }
  }

  async #request(req: RequestMessage): Promise<void> {
    let result: unknown;
    let failure: { error: unknown } | null = null;
    try {
      result = await this.#dispatch(req);
    } catch (e) {
      failure = { error: e };
    }
    // Progress still waiting for its tick goes first: the host must see it before the result.
    const call = this.#calls.get(req.id);
    if (call !== undefined) {
      this.#flushProgress(req.id, call);
      this.#calls.delete(req.id);
    }
    if (failure === null) this.#respond(req.id, result);
    else this.#respondError(req.id, failure.error);
  }

  #dispatch(req: RequestMessage): Promise<unknown> | unknown {
    const params = (req.params ?? {}) as Record<string, unknown>;
    if (this.#definition === null && req.method !== Methods.initialize && req.method !== Methods.shutdown) {
      throw new BulkheadError('ERR_PROTOCOL', `protocol error: "${req.method}" before a successful "initialize"`);
    }
    switch (req.method) {
      case Methods.initialize:
        return this.#initialize(params as unknown as InitializeParams);
      case Methods.execute:
        return this.#execute(req.id, params as ExecuteParams);
      case Methods.stream:
        return this.#stream(req.id, params as unknown as StreamParams);
      case Methods.configure:
        return this.#configure((params as { config?: unknown }).config);
      case Methods.stats:
        return this.#stats();
      case Methods.ping:
        return {};
      case Methods.shutdown:
        return this.#shutdown();
      default:
        throw new BulkheadError('ERR_METHOD_NOT_FOUND', `unknown method "${req.method}"`);
    }
  }

  async #initialize(params: InitializeParams): Promise<InitializeResult> {
    if (this.#definition !== null || this.#initializing) {
      throw new BulkheadError('ERR_PROTOCOL', 'protocol error: "initialize" may be sent only once');
    }
    this.#initializing = true;
    assertCompatible(String(params.protocolVersion), PROTOCOL_VERSION);
    const h = params.handoff;
    if (typeof h?.dir === 'string' && typeof h.minBytes === 'number') {
      // Both ways through the host's private directory (docs/protocol.md 3.1).
      this.#channel.handoff = { receive: h.dir, send: { dir: h.dir, minBytes: h.minBytes } };
    }
    const plugin = await this.#plugin;
    const def = plugin.definition as AnyDefinition;
    const config = validateConfig(def, params.config);
    this.#config = config;
    if (def.initialize) {
      try {
        await def.initialize(config, this.#initContext(config));
      } catch (e) {
        throw pluginError(e, 'initialize');
      }
    }
    this.#definition = def;
    return {
      protocolVersion: PROTOCOL_VERSION,
      name: def.name,
      version: def.version,
      ...(def.description !== undefined ? { description: def.description } : {}),
      configSchema: await toJsonSchema(def.config),
      ...(def.input !== undefined ? { inputSchema: await toJsonSchema(def.input) } : {}),
      config,
      capabilities: {
        execute: typeof def.execute === 'function',
        stream: typeof def.stream === 'function',
        cancel: true,
        progress: true,
        configure: typeof def.configure === 'function',
        binary: true,
        handoff: true,
      },
      pid: process.pid,
      runtime: `node ${process.version}`,
    };
  }

  #ready(): AnyDefinition {
    if (this.#definition === null) {
      throw new BulkheadError('ERR_PROTOCOL', 'protocol error: "initialize" must succeed before any call');
    }
    if (this.#shuttingDown) {
      throw new BulkheadError('ERR_WORKER_EXITED', 'worker is shutting down', {
        exitCode: null,
        signal: null,
        stderrTail: [],
        stopped: true,
      });
    }
    return this.#definition;
  }

  async #execute(id: number, params: ExecuteParams): Promise<unknown> {
    const def = this.#ready();
    if (!def.execute) throw new BulkheadError('ERR_NOT_SUPPORTED', `plugin "${def.name}" has no execute; use stream`);
    const call = this.#newCall(id, 0);
    try {
      const result = await def.execute(params.input, this.#callContext(id, call));
      throwIfAborted(call);
      return result;
    } catch (e) {
      throw callError(e, call);
    }
  }

  async #stream(id: number, params: StreamParams): Promise<unknown> {
    const def = this.#ready();
    if (!def.stream) throw new BulkheadError('ERR_NOT_SUPPORTED', `plugin "${def.name}" has no stream; use execute`);
    const call = this.#newCall(id, Number(params.credit) || 0);
    let sent = 0;
    let iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined;
    try {
      const iterable = def.stream(params.input, this.#callContext(id, call)) as AsyncIterable<unknown> &
        Iterable<unknown>;
      iterator =
        typeof iterable[Symbol.asyncIterator] === 'function'
          ? iterable[Symbol.asyncIterator]()
          : iterable[Symbol.iterator]();
      for (;;) {
        throwIfAborted(call);
        if (call.credits <= 0) {
          this.#flush(id, call);
          await waitForCredit(call);
          continue;
        }
        const step = await iterator.next();
        if (step.done) {
          iterator = undefined; // finished: nothing to close
          break;
        }
        // Encode now, inside this try: an item that cannot be sent fails this stream alone, and
        // a generator that refills one buffer cannot change items already yielded.
        this.#enqueue(id, call, step.value, sent);
        call.credits--;
        sent++;
      }
      this.#flush(id, call);
      return { chunks: sent };
    } catch (e) {
      try {
        this.#flush(id, call);
      } catch {
        // the stream is failing anyway; the first error is the one to report
      }
      // Run the generator's finally blocks before answering (a plugin that never returns is
      // ended by the host's cancel grace kill).
      await Promise.resolve(iterator?.return?.()).catch(() => {});
      throw callError(e, call);
    }
  }

  /** Adds one stream item to the call's next `$/chunk`, flushing first if it would not fit. */
  #enqueue(id: number, call: Call, item: unknown, index: number): void {
    const bins: Uint8Array[] = [];
    const json =
      JSON.stringify(preparePayload(item, bins, `params.items[${index}]`, this.#channel.handoff.send)) ?? 'null';
    let bytes = Buffer.byteLength(json) + 1;
    for (let i = 0; i < bins.length; i++) {
      const b = bins[i] as Uint8Array;
      // Small ones were copied by preparePayload; big ones must be too, since they wait for a flush.
      if (b.byteLength > SNAPSHOT_MAX_BYTES) bins[i] = b.slice();
      bytes += b.byteLength + 12;
    }
    const room = this.#channel.maxFrameBytes - CHUNK_FRAME_OVERHEAD;
    if (bytes > room) {
      throw new BulkheadError(
        'ERR_FRAME_TOO_LARGE',
        `stream item ${index} of ${bytes} bytes exceeds the maximum frame size`,
        {
          bytes,
          maxFrameBytes: this.#channel.maxFrameBytes,
        },
      );
    }
    if (call.batchBytes + bytes > room || call.batch.length >= MAX_BATCH) this.#flush(id, call);
    // References inside `json` index this item's own attachments; shift them to the batch's.
    call.batch.push(bins.length === 0 || call.batchBins.length === 0 ? json : shiftRefs(json, call.batchBins.length));
    for (const b of bins) call.batchBins.push(b);
    call.batchBytes += bytes;
    this.#scheduleFlush(id, call);
  }

  async #configure(raw: unknown): Promise<{ config: unknown }> {
    const def = this.#ready();
    if (!def.configure) {
      throw new BulkheadError('ERR_NOT_SUPPORTED', `plugin "${def.name}" cannot be reconfigured live; restart it`);
    }
    const config = validateConfig(def, raw);
    try {
      await def.configure(config, this.#initContext(config));
    } catch (e) {
      throw pluginError(e, 'configure');
    }
    this.#config = config;
    return { config };
  }

  #stats(): StatsResult {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    return {
      pid: process.pid,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      uptimeMs: Date.now() - this.#started,
      inFlight: this.#calls.size,
    };
  }

  async #shutdown(): Promise<object> {
    this.#shuttingDown = true;
    for (const call of this.#calls.values()) {
      call.abort(
        new BulkheadError('ERR_WORKER_EXITED', 'worker is shutting down', {
          exitCode: null,
          signal: null,
          stderrTail: [],
          stopped: true,
        }),
      );
    }
    // Give aborted calls a moment to unwind before cleanup frees what they may still hold.
    for (let waited = 0; this.#calls.size > 0 && waited < SHUTDOWN_DRAIN_MS; waited += 10) {
      await sleep(10);
    }
    try {
      await this.#definition?.cleanup?.();
    } catch (e) {
      this.#log(undefined, 'error', `cleanup failed: ${(e as Error)?.message ?? String(e)}`);
    }
    setImmediate(() => this.#options.onShutdown());
    return {};
  }

  #newCall(id: number, credits: number): Call {
    const call = new Call(credits);
    this.#calls.set(id, call);
    return call;
  }

  #callContext(id: number, call: Call): PluginContext<unknown> {
    return new CallContext(id, call, this.#config, this.#progressSink, this.#loggerFor);
  }

  /** Coalesces progress: a plugin reporting in a tight loop sends one frame per tick, the latest. */
  readonly #progressSink: ProgressSink = (id, call, fraction, message) => {
    const f =
      typeof fraction === 'number' && Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : undefined;
    const pending = call.progress;
    call.progress = {
      ...(f !== undefined ? { fraction: f } : {}),
      ...(message !== undefined ? { message: String(message) } : {}),
    };
    if (pending === null) process.nextTick(() => this.#flushProgress(id, call));
  };

  readonly #loggerFor = (id: number | undefined): Logger => this.#logger(id);

  #flushProgress(id: number, call: Call): void {
    const p = call.progress;
    call.progress = null;
    if (p !== null && this.#calls.get(id) === call) this.#notify(Notifications.progress, { id, ...p });
  }

  #initContext(config: unknown): InitContext<unknown> {
    return { config, log: this.#logger(undefined) };
  }

  #logger(id: number | undefined): Logger {
    const at = (level: LogLevel) => (message: string, data?: unknown) => this.#log(id, level, message, data);
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  /** Never throws into plugin code: what cannot be sent is cut or turned into text. */
  #log(id: number | undefined, level: LogLevel, message: string, data?: unknown): void {
    const text = String(message);
    const params: Record<string, unknown> = {
      level,
      message: text.length > MAX_LOG_MESSAGE ? `${text.slice(0, MAX_LOG_MESSAGE)} …[truncated]` : text,
    };
    if (id !== undefined) params.id = id;
    if (data !== undefined) params.data = data;
    try {
      this.#channel.send({ method: Notifications.log, params });
    } catch {
      params.data = clip(String(data));
      try {
        this.#channel.send({ method: Notifications.log, params });
      } catch {
        // nothing sensible left to send
      }
    }
  }

  #scheduleFlush(id: number, call: Call): void {
    if (call.flushScheduled) return;
    call.flushScheduled = true;
    process.nextTick(() => {
      call.flushScheduled = false;
      try {
        this.#flush(id, call);
      } catch (e) {
        // Items are checked when enqueued, so this is unexpected; end this stream, not the worker.
        call.abort(toBulkheadError(e));
      }
    });
  }

  #flush(id: number, call: Call): void {
    if (call.batch.length === 0) return;
    const items = call.batch;
    const bins = call.batchBins;
    call.batch = [];
    call.batchBins = [];
    call.batchBytes = 0;
    this.#channel.sendFrame(encodeChunkFrame(id, items, bins, this.#channel.maxFrameBytes));
  }

  #notify(method: string, params: unknown): void {
    this.#channel.send({ method, params });
  }

  #respond(id: number, result: unknown): void {
    try {
      this.#channel.send({ id, result: result ?? null });
    } catch (e) {
      this.#respondError(id, e);
    }
  }

  #respondError(id: number, e: unknown): void {
    const err = toBulkheadError(e);
    try {
      this.#channel.send({ id, error: err.toJSON() });
    } catch {
      // The error's data would not serialize, or the whole is too big: send what surely fits.
      try {
        this.#channel.send({ id, error: { code: err.code, message: clip(err.message) } });
      } catch {
        this.#channel.send({ id, error: { code: 'ERR_INTERNAL', message: 'the error could not be sent' } });
      }
    }
  }
}

function validateConfig(def: AnyDefinition, raw: unknown): unknown {
  if (def.config === undefined) return raw ?? {};
  return parseWith(def.config, raw ?? {}, `config for plugin "${def.name}"`, 'ERR_CONFIG_INVALID');
}

function throwIfAborted(call: Call): void {
  if (call.abortReason !== null) throw call.abortReason;
}

/** Resolves when the host grants credit or cancels the stream (both call `wake`). */
function waitForCredit(call: Call): Promise<void> {
  return new Promise((resolve) => {
    call.wake = () => {
      call.wake = null;
      resolve();
    };
  });
}

/** A failure inside a call: a cancellation if the call was aborted, else the plugin's error. */
function callError(e: unknown, call: Call): BulkheadError {
  return call.abortReason ?? pluginError(e, 'call');
}

function pluginError(e: unknown, stage: string): BulkheadError {
  // A plugin may throw a BulkheadError on purpose (ERR_CONFIG_INVALID, ERR_NOT_SUPPORTED…): keep it.
  if (isBulkheadError(e)) return e;
  const err = toBulkheadError(e, 'ERR_PLUGIN_FAILED');
  if (stage === 'initialize') {
    return new BulkheadError('ERR_PLUGIN_FAILED', `initialize failed: ${err.message}`, err.data as never);
  }
  return err;
}
