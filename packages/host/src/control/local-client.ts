/**
 * The QueueClient of the process that owns the job database: straight calls on its `JobQueue` and
 * `PluginManager`. The control server serves remote clients through one of these, so both kinds
 * behave the same by construction.
 *
 * @example
 * const client = new LocalQueueClient({ queue, manager });
 * const id = await client.submit('transcribe', { file: 'a.wav' });
 * const job = await client.watch(id, (e) => console.log(e));
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { PluginManager } from '../manager/plugin-manager.js';
import type { ConfigApplied, PluginSummary, PluginTelemetry } from '../manager/types.js';
import type { LogEntry } from '../process/log-buffer.js';
import type { JobQueueApi } from '../queue/job-queue-api.js';
import type { JobFilter, RetentionPolicy } from '../queue/job-store.js';
import type { Explanation, Job, JobQueueEvents, QueueSnapshot, SubmitOptions } from '../queue/types.js';
import type { JobWatchEvent, PluginSchemas, QueueClient, SystemView } from './types.js';

export interface LocalQueueClientOptions {
  queue: JobQueueApi;
  /** The manager the queue was opened with. */
  manager: PluginManager;
  /** `close()` also stops the queue and closes the manager. Default false: the caller owns them. */
  owned?: boolean;
}

export class LocalQueueClient implements QueueClient {
  readonly mode = 'local' as const;
  readonly queue: JobQueueApi;
  readonly manager: PluginManager;
  readonly #owned: boolean;
  /** One controller per open watch, aborted by close(). */
  readonly #watches = new Set<AbortController>();
  #closed = false;

  constructor(options: LocalQueueClientOptions) {
    this.queue = options.queue;
    this.manager = options.manager;
    this.#owned = options.owned ?? false;
  }

  /** Watches open now (the control server's included). */
  get activeWatches(): number {
    return this.#watches.size;
  }

  async submit(plugin: string, input: unknown, options?: SubmitOptions): Promise<string> {
    this.#open();
    return this.queue.submit(plugin, input, options);
  }

  async get(id: string): Promise<Job> {
    this.#open();
    return this.queue.get(id);
  }

  async list(filter?: JobFilter, options?: { values?: boolean }): Promise<{ jobs: Job[]; next: string | null }> {
    this.#open();
    return this.queue.list(filter, options);
  }

  async cancel(id: string): Promise<Job> {
    this.#open();
    return this.queue.cancel(id);
  }

  async jobLogs(id: string, limit?: number): Promise<LogEntry[]> {
    this.#open();
    return this.queue.logs(id, limit);
  }

  async resolveId(prefix: string): Promise<string> {
    this.#open();
    return this.queue.resolveId(prefix);
  }

  async prune(policy: RetentionPolicy): Promise<number> {
    this.#open();
    return this.queue.prune(policy);
  }

  async explain(id: string): Promise<Explanation> {
    this.#open();
    return this.queue.explain(id);
  }

  async watch(id: string, onEvent: (e: JobWatchEvent) => void, signal?: AbortSignal): Promise<Job> {
    this.#open();
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', 'The `signal` option must be an AbortSignal');
    }
    const stop = new AbortController();
    const ended = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
    let thrown: { error: unknown } | null = null;
    // Listeners go on before the job is read, so nothing between that read and the end is missed.
    const deliver = (e: JobWatchEvent) => {
      if (ended.aborted) return;
      try {
        onEvent(e);
      } catch (error) {
        // The emitter is the queue's: a throwing callback ends this watch, never the queue's work.
        thrown = { error };
        stop.abort(error);
      }
    };
    const listeners: { [K in 'started' | 'progress' | 'log']: (e: JobQueueEvents[K][0]) => void } = {
      started: (e) => e.id === id && deliver({ type: 'started', attempt: e.attempt }),
      progress: ({ id: of, ...p }) => of === id && deliver({ type: 'progress', ...p }),
      log: ({ id: of, ...entry }) => of === id && deliver({ type: 'log', entry }),
    };
    this.queue.on('started', listeners.started);
    this.queue.on('progress', listeners.progress);
    this.queue.on('log', listeners.log);
    this.#watches.add(stop);
    try {
      return await this.queue.wait(id, { signal: ended });
    } catch (e) {
      if (thrown !== null) throw (thrown as { error: unknown }).error;
      if (this.#closed)
        throw new BulkheadError('ERR_QUEUE_CLOSED', 'the queue client was closed', undefined, { cause: e });
      throw e;
    } finally {
      this.#watches.delete(stop);
      this.queue.off('started', listeners.started);
      this.queue.off('progress', listeners.progress);
      this.queue.off('log', listeners.log);
    }
  }

  async snapshot(options?: { recent?: number; pending?: number }): Promise<QueueSnapshot> {
    this.#open();
    return this.queue.snapshot(options);
  }

  async reorder(id: string, to: { position: number } | { priority: number }): Promise<Job> {
    this.#open();
    if (typeof to !== 'object' || to === null || !('position' in to || 'priority' in to)) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', 'reorder takes { position } or { priority }');
    }
    return this.queue.reorder(id, to);
  }

  /**
   * A new job from a finished one's plugin, input and options. The input is read back decoded,
   * so bytes stay bytes. The idempotency key is not carried over: it would return the old job.
   */
  async retry(id: string): Promise<string> {
    this.#open();
    const job = await this.queue.get(id);
    if (job.status === 'pending' || job.status === 'running') {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', `job ${id} is ${job.status}; only a finished job can be retried`);
    }
    return this.queue.submit(job.plugin, job.input, {
      priority: job.priority,
      maxAttempts: job.maxAttempts,
      ...(job.timeoutMs === null ? {} : { timeout: job.timeoutMs }),
    });
  }

  async loadPlugin(name: string): Promise<PluginSummary> {
    await this.#discovered(name);
    return this.manager.load(name);
  }

  async unloadPlugin(name: string): Promise<void> {
    await this.#discovered(name);
    // unload() of a name it does not know is a no-op; a client asking for one has a typo.
    if (this.manager.get(name) === undefined) {
      throw new BulkheadError('ERR_UNKNOWN_PLUGIN', `no plugin named "${name}"`, { name });
    }
    await this.manager.unload(name);
  }

  async reloadPlugin(name: string): Promise<PluginSummary> {
    await this.#discovered(name);
    const summary = this.manager.get(name);
    if (summary?.state === 'failed') await this.manager.reset(name);
    return this.manager.reload(name);
  }

  async pluginSchemas(name: string): Promise<PluginSchemas> {
    await this.#discovered(name);
    return { config: this.manager.getConfigSchema(name), input: this.manager.inputSchemaOf(name) };
  }

  async pluginLogs(name: string, tail = 200): Promise<LogEntry[]> {
    await this.#discovered(name);
    return this.manager.logs(name, { tail });
  }

  async system(): Promise<SystemView> {
    this.#open();
    return { system: await this.manager.system(), resources: this.queue.scheduler.ledger.view() };
  }

  /** Scans the plugin paths again each time: plugins installed or removed since show up. */
  async plugins(): Promise<PluginSummary[]> {
    this.#open();
    await this.manager.discover();
    return this.manager.list();
  }

  async updateConfig(name: string, patch: Record<string, unknown>): Promise<{ applied: ConfigApplied }> {
    await this.#discovered(name);
    const { applied } = await this.manager.updateConfig(name, patch);
    return { applied };
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    await this.#discovered(name);
    if (typeof enabled !== 'boolean') throw new BulkheadError('ERR_INVALID_ARGUMENT', '"enabled" must be a boolean');
    await (enabled ? this.manager.enable(name) : this.manager.disable(name));
  }

  async telemetry(name: string): Promise<PluginTelemetry> {
    await this.#discovered(name);
    return this.manager.telemetry(name);
  }

  /** Ends open watches (they reject with ERR_QUEUE_CLOSED); with `owned`, stops the queue and the manager. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#watches) w.abort(new BulkheadError('ERR_QUEUE_CLOSED', 'the queue client was closed'));
    if (this.#owned) {
      await this.queue.stop();
      await this.manager.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The plugin is known: discovered at the first call, and again for a name not seen (just installed). */
  async #discovered(name?: string): Promise<void> {
    this.#open();
    if (this.manager.discovery === null || (name !== undefined && this.manager.get(name) === undefined)) {
      await this.manager.discover();
    }
  }

  #open(): void {
    if (this.#closed) throw new BulkheadError('ERR_QUEUE_CLOSED', 'the queue client was closed');
  }
}
