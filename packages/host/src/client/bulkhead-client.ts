/**
 * A client of `bulkhead serve` over HTTP: fetch for the routes, the event stream read as
 * EventSource would (with Last-Event-ID resume). Errors are `BulkheadError`s with the server's
 * code and data, so `isBulkheadError(e, 'ERR_JOB_NOT_FOUND')` works as it does in the library.
 *
 * @example
 * const bh = new BulkheadClient({ url: 'http://127.0.0.1:7345', token });
 * const id = await bh.submit('transcribe', { file: 'talk.wav' });
 * const job = await bh.wait(id, { onProgress: (p) => console.log(p.fraction) });
 * @module
 */
import { BulkheadError, errorFromWire, isWireError } from '@bulkhead/sdk/errors';
import { fromWire, toWire } from '../control/wire.js';
import { readSse } from './sse-reader.js';
import type {
  ConfigApplied,
  Explanation,
  Health,
  Hosts,
  Job,
  JobEvent,
  ListQuery,
  LogEntry,
  PluginSchemas,
  PluginStats,
  PluginSummary,
  QueueState,
  ServerEvent,
  SubmitOptions,
  SystemView,
} from './types.js';

export interface BulkheadClientOptions {
  /** The server's URL, e.g. `http://127.0.0.1:7345` (a `?token=` in it is used as the token). */
  url: string;
  /** Default: the `token` query parameter of `url`. */
  token?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export class BulkheadClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: BulkheadClientOptions) {
    const u = new URL(options.url);
    this.#token = options.token ?? u.searchParams.get('token') ?? undefined;
    u.search = '';
    u.hash = '';
    this.url = u.href.replace(/\/$/, '');
    this.#fetch = options.fetch ?? fetch;
  }

  // ─── jobs ───
  async submit(plugin: string, input?: unknown, options?: SubmitOptions): Promise<string> {
    const body = { plugin, input: toWire(input ?? {}), ...(options ? { options } : {}) };
    return ((await this.#json('POST', '/api/jobs', body)) as { id: string }).id;
  }
  get(id: string): Promise<Job> {
    return this.#json('GET', `/api/jobs/${enc(id)}`) as Promise<Job>;
  }
  list(query: ListQuery = {}): Promise<{ jobs: Job[]; next: string | null }> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
    return this.#json('GET', `/api/jobs${q.size ? `?${q}` : ''}`) as Promise<{ jobs: Job[]; next: string | null }>;
  }
  cancel(id: string): Promise<Job> {
    return this.#json('POST', `/api/jobs/${enc(id)}/cancel`) as Promise<Job>;
  }
  reorder(id: string, to: { position: number } | { priority: number }): Promise<Job> {
    return this.#json('POST', `/api/jobs/${enc(id)}/reorder`, to) as Promise<Job>;
  }
  async retry(id: string): Promise<string> {
    return ((await this.#json('POST', `/api/jobs/${enc(id)}/retry`)) as { id: string }).id;
  }
  /** The result; bytes come back as a Uint8Array. Rejects with the job's own error if it failed. */
  async result(id: string): Promise<unknown> {
    const res = await this.#request('GET', `/api/jobs/${enc(id)}/result`);
    if (res.headers.get('content-type')?.startsWith('application/octet-stream'))
      return new Uint8Array(await res.arrayBuffer());
    return (fromWire(await res.json()) as { result: unknown }).result;
  }
  jobLogs(id: string, limit?: number): Promise<LogEntry[]> {
    return this.#json('GET', `/api/jobs/${enc(id)}/logs${limit ? `?limit=${limit}` : ''}`) as Promise<LogEntry[]>;
  }
  explain(id: string): Promise<Explanation> {
    return this.#json('GET', `/api/jobs/${enc(id)}/explain`) as Promise<Explanation>;
  }
  timeline(id: string): Promise<JobEvent[]> {
    return this.#json('GET', `/api/jobs/${enc(id)}/timeline`) as Promise<JobEvent[]>;
  }
  queue(): Promise<QueueState> {
    return this.#json('GET', '/api/queue') as Promise<QueueState>;
  }

  /**
   * Resolves with the job once it has ended, calling `onProgress` with its latest progress, then
   * with each one pushed. Listens to the event stream before reading the job, so its end cannot
   * slip between the two; what was pushed before the stream connected is in the job.
   */
  async wait(
    id: string,
    options: { onProgress?: (p: { fraction?: number; message?: string }) => void; signal?: AbortSignal } = {},
  ): Promise<Job> {
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const events = this.events({ signal })[Symbol.asyncIterator]();
    try {
      const first = events.next(); // opens the stream
      const job = await this.get(id);
      if (job.progress) options.onProgress?.(job.progress);
      if (TERMINAL.has(job.status)) return job;
      for (let next = first; ; next = events.next()) {
        const { value, done } = await next;
        if (done) return this.wait(id, options);
        if (value.type === 'progress' && value.data.id === id) options.onProgress?.(value.data);
        else if (value.type === 'job' && value.data.id === id && TERMINAL.has(value.data.status)) return this.get(id);
        else if (value.type === 'reset') {
          const now = await this.get(id);
          if (TERMINAL.has(now.status)) return now;
        }
      }
    } finally {
      stop.abort();
      await events.return?.(undefined);
    }
  }

  /**
   * The live events, from now (or after `lastEventId`). Reconnects when the stream drops, sending
   * the last id seen, so nothing the server still holds is missed; ends when `signal` aborts.
   */
  async *events(options: { lastEventId?: number; signal?: AbortSignal } = {}): AsyncGenerator<ServerEvent> {
    const state: { lastId: string | null; retryMs?: number } = {
      lastId: options.lastEventId === undefined ? null : String(options.lastEventId),
    };
    while (!options.signal?.aborted) {
      let res: Response;
      try {
        res = await this.#request(
          'GET',
          '/api/events',
          undefined,
          {
            accept: 'text/event-stream',
            ...(state.lastId !== null ? { 'last-event-id': state.lastId } : {}),
          },
          options.signal,
        );
      } catch (e) {
        if (options.signal?.aborted) return;
        throw e;
      }
      try {
        for await (const m of readSse(res.body as ReadableStream<Uint8Array>, state)) {
          const data = fromWire(JSON.parse(m.data));
          if (m.event === 'error' && isWireError(data)) throw errorFromWire(data);
          yield { id: Number(m.id), type: m.event, data } as ServerEvent;
        }
      } catch (e) {
        if (options.signal?.aborted) return;
        if (!(e instanceof TypeError)) throw e; // a dropped connection reads as a TypeError: reconnect
      }
      // Not node:timers/promises: this client imports nothing of Node's, so it runs in a browser too.
      await new Promise((r) => setTimeout(r, state.retryMs ?? 1000));
    }
  }

  // ─── plugins ───
  plugins(): Promise<PluginSummary[]> {
    return this.#json('GET', '/api/plugins') as Promise<PluginSummary[]>;
  }
  plugin(name: string): Promise<PluginSummary> {
    return this.#json('GET', `/api/plugins/${enc(name)}`) as Promise<PluginSummary>;
  }
  load(name: string): Promise<PluginSummary> {
    return this.#json('POST', `/api/plugins/${enc(name)}/load`) as Promise<PluginSummary>;
  }
  async unload(name: string): Promise<void> {
    await this.#json('POST', `/api/plugins/${enc(name)}/unload`);
  }
  reload(name: string): Promise<PluginSummary> {
    return this.#json('POST', `/api/plugins/${enc(name)}/reload`) as Promise<PluginSummary>;
  }
  enable(name: string): Promise<PluginSummary> {
    return this.#json('POST', `/api/plugins/${enc(name)}/enable`) as Promise<PluginSummary>;
  }
  disable(name: string): Promise<PluginSummary> {
    return this.#json('POST', `/api/plugins/${enc(name)}/disable`) as Promise<PluginSummary>;
  }
  async config(name: string): Promise<Record<string, unknown>> {
    return ((await this.#json('GET', `/api/plugins/${enc(name)}/config`)) as { config: Record<string, unknown> })
      .config;
  }
  /** Rejects with ERR_CONFIG_INVALID (`data.issues`: every failing field) when the patch breaks the schema. */
  setConfig(name: string, patch: Record<string, unknown>): Promise<ConfigApplied> {
    return this.#json('PUT', `/api/plugins/${enc(name)}/config`, patch) as Promise<ConfigApplied>;
  }
  schemas(name: string): Promise<PluginSchemas> {
    return this.#json('GET', `/api/plugins/${enc(name)}/schemas`) as Promise<PluginSchemas>;
  }
  stats(name: string): Promise<PluginStats> {
    return this.#json('GET', `/api/plugins/${enc(name)}/stats`) as Promise<PluginStats>;
  }
  pluginLogs(name: string, tail?: number): Promise<LogEntry[]> {
    return this.#json('GET', `/api/plugins/${enc(name)}/logs${tail ? `?tail=${tail}` : ''}`) as Promise<LogEntry[]>;
  }

  // ─── system ───
  system(): Promise<SystemView> {
    return this.#json('GET', '/api/system') as Promise<SystemView>;
  }
  health(): Promise<Health> {
    return this.#json('GET', '/api/health') as Promise<Health>;
  }
  hosts(): Promise<Hosts> {
    return this.#json('GET', '/api/hosts') as Promise<Hosts>;
  }

  async #json(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.#request(method, path, body);
    return fromWire(await res.json());
  }

  async #request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    const res = await this.#fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
    if (res.ok) return res;
    let wire: unknown;
    try {
      wire = ((await res.json()) as { error?: unknown }).error;
    } catch {
      wire = undefined;
    }
    if (isWireError(wire)) throw errorFromWire(wire);
    throw new BulkheadError('ERR_INTERNAL', `${method} ${path} answered ${res.status}`);
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
