/**
 * The worker runtime: answers the host's requests by calling one plugin.
 * It knows nothing of processes; main.ts wires it to fd 3 and the process.
 * @module
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { AnyPlugin, InitContext, Logger, PluginContext } from '../define-plugin.js';
import { BulkheadError } from '../errors.js';
import { toJsonSchema } from '../plugin-schema.js';
import type { Channel } from '../protocol/channel.js';
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
import { assertCompatible, PROTOCOL_VERSION } from '../protocol/version.js';
import {
  type AnyDefinition,
  Call,
  CallContext,
  callError,
  type ProgressSink,
  pluginError,
  throwIfAborted,
  validateConfig,
} from './call.js';
import { respond, respondError, sendLog } from './replies.js';
import { pumpStream } from './stream-pump.js';

/** How long shutdown waits for aborted calls to finish before running the plugin's cleanup. */
const SHUTDOWN_DRAIN_MS = 1000;

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
    if (failure === null) respond(this.#channel, req.id, result);
    else respondError(this.#channel, req.id, failure.error);
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
    return pumpStream(this.#channel, id, call, () => def.stream!(params.input, this.#callContext(id, call)));
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
      sendLog(this.#channel, undefined, 'error', `cleanup failed: ${(e as Error)?.message ?? String(e)}`);
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
    const at = (level: LogLevel) => (message: string, data?: unknown) =>
      sendLog(this.#channel, id, level, message, data);
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  #notify(method: string, params: unknown): void {
    this.#channel.send({ method, params });
  }
}
