/**
 * A long-running host: the home's job queue and plugin manager, the control socket (so every
 * `bulkhead` command attaches here) and the HTTP server, in one process, until closed.
 *
 * @example
 * const server = await serve({ home: '/srv/bulkhead', port: 7345 });
 * console.log(server.urlWithToken);   // open it in a browser
 * await server.close();               // stop taking jobs; running ones go back to pending
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { FastifyInstance } from 'fastify';
import { LocalQueueClient } from '../control/local-client.js';
import { type ControlServer, serveControl } from '../control/server.js';
import { PluginManager } from '../manager/plugin-manager.js';
import type { PluginManagerOptions } from '../manager/types.js';
import type { JobQueueApi } from '../queue/job-queue-api.js';
import { openJobQueue } from '../queue/open-queue.js';
import type { JobQueueOptions } from '../queue/types.js';
import { buildApp, type HostInfo } from './app.js';
import { loadOrCreateToken } from './auth.js';
import { EventHub } from './event-hub.js';
import type { SseOptions } from './sse-stream.js';

export const DEFAULT_PORT = 7345;

export interface ServeOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  /** Default 7345; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Anything beyond loopback needs `tls` or `insecure`. */
  host?: string;
  /** PEM files: serve HTTPS. */
  tls?: { certFile: string; keyFile: string };
  /** Listen beyond loopback over plain HTTP, token in the clear. */
  insecure?: boolean;
  /** False turns the token off (only for a proxy in front that authenticates). Default true. */
  auth?: boolean;
  manager?: Omit<PluginManagerOptions, 'home' | 'env'>;
  queue?: Omit<JobQueueOptions, 'manager'>;
  sse?: SseOptions;
  /** Events kept for Last-Event-ID resume. Default 10,000. */
  ringSize?: number;
  /** Default 16 MiB. */
  bodyLimitBytes?: number;
  /** Resource samples on the event stream this often. Default 1 s. */
  sampleMs?: number;
  /** On close, how long running jobs may take to finish before they go back to pending. Default 0. */
  stopTimeoutMs?: number;
}

export interface BulkheadServer extends AsyncDisposable {
  /** Where it listens, without the token. */
  url: string;
  /** The URL to open: carries the token once (the page then keeps it in a cookie). */
  urlWithToken: string;
  token: string | null;
  port: number;
  controlSocket: string;
  app: FastifyInstance;
  hub: EventHub;
  client: LocalQueueClient;
  /** Stops listening and taking jobs; running jobs go back to pending by the queue's rules. Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export async function serve(options: ServeOptions): Promise<BulkheadServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.test(host) && options.tls === undefined && options.insecure !== true) {
    throw new BulkheadError(
      'ERR_INSECURE_BIND',
      `refusing to listen on ${host} over plain HTTP: give --tls-cert and --tls-key, or --insecure to send the token in the clear`,
      { host },
    );
  }
  const https = options.tls
    ? { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }
    : undefined;
  const token = options.auth === false ? null : loadOrCreateToken(options.home);
  const manager = new PluginManager({ ...options.manager, home: options.home, env: options.env ?? process.env });
  let queue: JobQueueApi;
  try {
    // The control socket is served below, through this server's own client (not the queue's default).
    queue = await openJobQueue({ ...options.queue, manager, control: false });
  } catch (e) {
    await manager.close();
    throw e;
  }
  const client = new LocalQueueClient({ queue, manager, owned: true });
  let control: ControlServer | undefined;
  let hub: EventHub | undefined;
  let app: FastifyInstance | undefined;
  try {
    await queue.start();
    control = await serveControl({ client, home: options.home });
    hub = new EventHub({ queue, manager, client, sampleMs: options.sampleMs, ringSize: options.ringSize });
    const scheme = https ? 'https' : 'http';
    const info: HostInfo = {
      pid: process.pid,
      home: options.home,
      version: hostVersion(),
      url: '',
      controlSocket: control.path,
      startedAt: Date.now(),
    };
    app = await buildApp({
      client,
      hub,
      token,
      info,
      sse: options.sse,
      bodyLimitBytes: options.bodyLimitBytes,
      ...(https ? { https } : {}),
    });
    await app.listen({ port: options.port ?? DEFAULT_PORT, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? DEFAULT_PORT);
    const shown = host.includes(':') ? `[${host}]` : host;
    info.url = `${scheme}://${shown}:${port}/`;
    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= (async () => {
        hub?.close(); // ends every event stream, so the HTTP server can close
        await app?.close();
        await control?.close();
        await queue.stop({ timeoutMs: options.stopTimeoutMs ?? 0 });
        await client.close();
      })();
      return closing;
    };
    return {
      url: info.url,
      urlWithToken: token === null ? info.url : `${info.url}?token=${token}`,
      token,
      port,
      controlSocket: control.path,
      app,
      hub,
      client,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    hub?.close();
    await app?.close().catch(() => {});
    await control?.close().catch(() => {});
    await client.close().catch(() => {});
    throw e;
  }
}

function hostVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}
