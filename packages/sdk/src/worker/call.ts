/**
 * One call as the worker runtime keeps it — its cancellation (an AbortController made only when
 * the plugin reads `ctx.signal`), stream credit and batching, pending progress — its `ctx`, and
 * how a failure inside it is reported.
 * @module
 */
import type { Logger, PluginContext, PluginDefinition } from '../define-plugin.js';
import { BulkheadError, isBulkheadError, toBulkheadError } from '../errors.js';
import { parseWith } from '../plugin-schema.js';

// biome-ignore lint/suspicious/noExplicitAny: the runtime calls plugins of any type
export type AnyDefinition = PluginDefinition<any, any, any, any, any>;

/**
 * One call in flight. Its AbortController is made only if the plugin reads `ctx.signal`: creating
 * one costs microseconds, more than the rest of a no-op call.
 */
export class Call {
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

export type ProgressSink = (id: number, call: Call, fraction?: number, message?: string) => void;

/** `ctx` of a call; methods live on the prototype so a call allocates one small object. */
export class CallContext implements PluginContext<unknown> {
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

export function validateConfig(def: AnyDefinition, raw: unknown): unknown {
  if (def.config === undefined) return raw ?? {};
  return parseWith(def.config, raw ?? {}, `config for plugin "${def.name}"`, 'ERR_CONFIG_INVALID');
}

export function throwIfAborted(call: Call): void {
  if (call.abortReason !== null) throw call.abortReason;
}

/** Resolves when the host grants credit or cancels the stream (both call `wake`). */
export function waitForCredit(call: Call): Promise<void> {
  return new Promise((resolve) => {
    call.wake = () => {
      call.wake = null;
      resolve();
    };
  });
}

/** A failure inside a call: a cancellation if the call was aborted, else the plugin's error. */
export function callError(e: unknown, call: Call): BulkheadError {
  return call.abortReason ?? pluginError(e, 'call');
}

export function pluginError(e: unknown, stage: string): BulkheadError {
  // A plugin may throw a BulkheadError on purpose (ERR_CONFIG_INVALID, ERR_NOT_SUPPORTED…): keep it.
  if (isBulkheadError(e)) return e;
  const err = toBulkheadError(e, 'ERR_PLUGIN_FAILED');
  if (stage === 'initialize') {
    return new BulkheadError('ERR_PLUGIN_FAILED', `initialize failed: ${err.message}`, err.data as never);
  }
  return err;
}
