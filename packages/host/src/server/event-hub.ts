/**
 * The live events every client of `GET /api/events` reads: job state, progress and logs, plugin
 * state and logs, and resource samples. Each event gets a sequence number and is kept in a ring,
 * so a client that reconnects with `Last-Event-ID` is sent what it missed (or, past the ring, a
 * `reset` telling it to read the state again).
 *
 * Sources are the queue's and the manager's own events: the hub listens, it never asks. Resource
 * samples are taken only while someone listens.
 * @module
 */
import { EventEmitter } from 'node:events';
import type { QueueClient } from '../control/types.js';
import type { PluginManager } from '../manager/plugin-manager.js';
import type { JobQueueApi } from '../queue/job-queue-api.js';

export type HubEventType = 'job' | 'progress' | 'job.log' | 'plugin' | 'plugin.log' | 'resources';

export interface HubEvent {
  id: number;
  type: HubEventType;
  data: unknown;
}

export interface EventHubOptions {
  queue: JobQueueApi;
  manager: PluginManager;
  /** For resource samples (`system()`). */
  client: QueueClient;
  /** Events kept for resume. Default 10,000. */
  ringSize?: number;
  /** A resource sample this often while anyone listens. Default 1 s. */
  sampleMs?: number;
}

export interface HubListeners {
  event: [HubEvent];
  /** The server is closing: every stream ends. */
  closing: [];
}

export class EventHub extends EventEmitter<HubListeners> {
  readonly #ring: HubEvent[];
  readonly #size: number;
  #head = 0;
  #count = 0;
  #next = 1;
  readonly #sampleMs: number;
  readonly #client: QueueClient;
  readonly #manager: PluginManager;
  #timer: NodeJS.Timeout | null = null;
  #sampling = false;
  readonly #off: (() => void)[] = [];

  constructor(options: EventHubOptions) {
    super();
    this.setMaxListeners(0);
    this.#size = options.ringSize ?? 10_000;
    this.#ring = new Array(this.#size);
    this.#sampleMs = options.sampleMs ?? 1000;
    this.#client = options.client;
    this.#manager = options.manager;
    const { queue, manager } = options;
    const on = <E extends EventEmitter>(emitter: E, name: string, f: (e: never) => void) => {
      emitter.on(name, f as never);
      this.#off.push(() => emitter.off(name, f as never));
    };
    const job = (status: string) => (e: Record<string, unknown>) => this.publish('job', { ...e, status });
    on(queue, 'submitted', job('pending'));
    on(queue, 'started', job('running'));
    on(queue, 'completed', job('completed'));
    on(queue, 'failed', (e: { willRetry: boolean } & Record<string, unknown>) =>
      this.publish('job', { ...e, status: e.willRetry ? 'pending' : 'failed' }),
    );
    on(queue, 'cancelled', job('cancelled'));
    on(queue, 'progress', (e: unknown) => this.publish('progress', e));
    on(queue, 'log', ({ id, ...entry }: { id: string }) => this.publish('job.log', { id, entry }));
    on(manager, 'state', (e: unknown) => this.publish('plugin', e));
    on(manager, 'log', ({ name, ...entry }: { name: string }) => this.publish('plugin.log', { name, entry }));
  }

  /** The sequence number of the newest event (0 before any). */
  get lastId(): number {
    return this.#next - 1;
  }

  publish(type: HubEventType, data: unknown): HubEvent {
    const event = { id: this.#next++, type, data };
    this.#ring[(this.#head + this.#count) % this.#size] = event;
    if (this.#count < this.#size) this.#count++;
    else this.#head = (this.#head + 1) % this.#size;
    this.emit('event', event);
    return event;
  }

  /**
   * Events after `lastId`, oldest first; null when some of them have left the ring (the client
   * must read the state again).
   */
  since(lastId: number): HubEvent[] | null {
    if (lastId >= this.lastId) return [];
    const oldest = this.#count === 0 ? this.#next : (this.#ring[this.#head] as HubEvent).id;
    if (lastId < oldest - 1) return null;
    const out: HubEvent[] = [];
    for (let i = lastId + 1 - oldest; i < this.#count; i++)
      out.push(this.#ring[(this.#head + i) % this.#size] as HubEvent);
    return out;
  }

  /** Starts resource sampling while a client listens; the returned function says it left. */
  attach(): () => void {
    if (this.listenerCount('event') === 1 && this.#timer === null && this.#sampleMs > 0) {
      void this.#sample();
      this.#timer = setInterval(() => void this.#sample(), this.#sampleMs);
      this.#timer.unref();
    }
    return () => {
      if (this.listenerCount('event') === 0 && this.#timer !== null) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    };
  }

  close(): void {
    this.emit('closing');
    for (const off of this.#off) off();
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One sample: the machine, what jobs reserve, and each loaded plugin's CPU, RSS and GPU memory. */
  async #sample(): Promise<void> {
    if (this.#sampling) return; // a slow nvidia-smi must not pile samples up
    this.#sampling = true;
    try {
      const [view, plugins] = await Promise.all([this.#client.system(), this.#manager.telemetry()]);
      this.publish('resources', { ...view, plugins: plugins.filter((p) => p.pid !== null) });
    } catch {
      // closing, or the monitor failed once: the next tick tries again
    } finally {
      this.#sampling = false;
    }
  }
}
