import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { tempDir } from './helpers.js';

/** Is redis-server on this machine? Tests that need it skip with this reason otherwise. */
export function redisMissing(): string | false {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    // CI installs it and sets this: there a missing server is a failure, not a skip.
    if (process.env.BULKHEAD_REQUIRE_REDIS === '1')
      throw new Error('redis-server is required (BULKHEAD_REQUIRE_REDIS=1)');
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

/** A private redis-server on a free loopback port, its data (AOF, fsync always) in a temp dir. */
export class TestRedis {
  readonly dir = tempDir('bulkhead-redis-');
  port = 0;
  #proc: ChildProcess | null = null;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.port === 0) this.port = await freePort();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push('--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction');
    this.#proc = spawn('redis-server', args, { stdio: 'ignore' });
    await answersPing(this.port);
    return this;
  }

  /** Stops it and waits for the process to exit (`shutdown` returns before it does). */
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
