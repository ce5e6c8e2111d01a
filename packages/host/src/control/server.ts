/**
 * The control server: the process that owns a home's job database listens on a Unix socket so that
 * other processes of the same user can submit, watch and cancel jobs and manage plugins through it
 * (docs/control.md). No TCP port: reaching the socket file is the permission, and only its owner
 * can (directory 0700, file 0600).
 *
 * @example
 * const server = await serveControl({ client: new LocalQueueClient({ queue, manager }), home: manager.home });
 * await server.whenIdle();   // nobody connected
 * await server.close();
 * @module
 */
import { EventEmitter } from 'node:events';
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { Connection } from './connection.js';
import { controlSocketDir, controlSocketPath } from './socket-path.js';
import type { QueueClient } from './types.js';
import { CONTROL_PROTOCOL_VERSION, type HelloResult, MAX_LINE_BYTES } from './wire.js';

export interface ControlServerOptions {
  /** What requests run on: the LocalQueueClient of this process. */
  client: QueueClient;
  /** The home whose job database this process owns; names the socket. */
  home: string;
  /** Longest request line accepted. Default {@link MAX_LINE_BYTES}. */
  maxLineBytes?: number;
}

export interface ControlServerEvents {
  /** A client connected. */
  connection: [];
  /** The last client disconnected. */
  idle: [];
}

/** How long the stale-socket probe waits for a connect. */
const PROBE_TIMEOUT_MS = 1000;

export class ControlServer extends EventEmitter<ControlServerEvents> {
  readonly path: string;
  readonly #server: Server;
  readonly #open = new Set<Connection>();
  #closing: Promise<void> | null = null;

  /** @internal use {@link serveControl} */
  constructor(server: Server, path: string, options: ControlServerOptions) {
    super();
    this.#server = server;
    this.path = path;
    const hello: HelloResult = { version: CONTROL_PROTOCOL_VERSION, pid: process.pid, home: options.home };
    server.on('connection', (socket) => {
      const conn = new Connection(socket, options.client, hello, options.maxLineBytes ?? MAX_LINE_BYTES);
      this.#open.add(conn);
      socket.once('close', () => {
        this.#open.delete(conn);
        if (this.#open.size === 0) this.emit('idle');
      });
      this.emit('connection');
    });
    // Accept failures (EMFILE…) hit one client, not this process.
    server.on('error', () => {});
  }

  /** Clients connected now. */
  get connections(): number {
    return this.#open.size;
  }

  /** Watches open now, over all clients. */
  get activeWatches(): number {
    let n = 0;
    for (const c of this.#open) n += c.watches.size;
    return n;
  }

  /** Resolves when no client is connected (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.once('idle', resolve));
  }

  /** Stops listening, drops every client (their watches end) and removes the socket file. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const c of this.#open) c.socket.destroy();
      unlinkQuietly(this.path);
    });
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Listens on the home's control socket. Call it only once this process owns the home's job
 * database: a socket file left by a dead host is replaced, but a live one is refused with
 * ERR_STORE_UNAVAILABLE (`in-use`), since two hosts of one home should never both be running.
 */
export async function serveControl(options: ControlServerOptions): Promise<ControlServer> {
  const path = controlSocketPath(options.home);
  const dir = controlSocketDir(options.home);
  if (dir !== null) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700); // also when it already existed
  }
  await removeStale(path);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE') throw inUse(path);
    throw e;
  });
  // The file is bound with the umask's mode; inside the 0700 directory nobody else can reach it meanwhile.
  chmodSync(path, 0o600);
  return new ControlServer(server, path, options);
}

/** Unlinks `path` if it is a socket nobody listens on; throws if somebody does. */
async function removeStale(path: string): Promise<void> {
  try {
    if (!lstatSync(path).isSocket()) {
      throw new BulkheadError('ERR_STORE_UNAVAILABLE', `${path} exists and is not a socket; remove it`, {
        file: path,
        reason: 'not-a-socket',
      });
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const live = await new Promise<boolean>((resolve, reject) => {
    const probe = connect({ path, timeout: PROBE_TIMEOUT_MS });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('timeout', () => {
      probe.destroy();
      resolve(true); // a listener that does not even accept is still a listener
    });
    probe.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') resolve(false);
      else reject(e);
    });
  });
  if (live) throw inUse(path);
  unlinkQuietly(path);
}

function inUse(path: string): BulkheadError {
  return new BulkheadError(
    'ERR_STORE_UNAVAILABLE',
    `another Bulkhead host is already serving ${path}; only the process that owns the job database may listen`,
    { file: path, reason: 'in-use' },
  );
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
