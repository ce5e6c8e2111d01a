/**
 * A private redis-server on a free loopback port, for the tests and the benchmarks alike (both
 * import this one module): started, answered PING before it is used, and stopped by waiting on its
 * pid (`redis-cli shutdown` returns before the process has exited).
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';

/** Why there is no redis-server to start here, or null when there is one. */
export function redisServerMissing(): string | null {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'redis-server is not installed (apt-get install -y redis-server)';
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once the server answers PING (retrying while it starts: the server's readiness, not a sleep). */
async function answersPing(port: number, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('error', () => resolve(false));
      s.once('connect', () => s.write('PING\r\n'));
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface RedisServerOptions {
  /**
   * `true`: every write in an append-only file synced on each command, and no eviction (the tests
   * kill and restart it and expect every job back); `false`: no persistence at all (the benchmarks
   * measure the queue, not the disk).
   */
  durable: boolean;
}

/** One redis-server; `port` is picked on the first start and kept across restarts. */
export class RedisServer {
  /** Its data directory (the caller's, and the caller removes it). */
  readonly dir: string;
  port = 0;
  readonly #durable: boolean;
  #proc: ChildProcess | null = null;

  constructor(dir: string, options: RedisServerOptions) {
    this.dir = dir;
    this.#durable = options.durable;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.port === 0) this.port = await freePort();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    if (this.#durable) args.push('--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction');
    else args.push('--appendonly', 'no');
    this.#proc = spawn('redis-server', args, { stdio: 'ignore' });
    await answersPing(this.port);
    return this;
  }

  /** Stops it and waits for the process to exit. */
  async stop(): Promise<void> {
    const proc = this.#proc;
    if (proc === null || proc.exitCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    await exited;
    this.#proc = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
