// Several hosts sharing one queue on a real redis-server, each host its own process.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk';
import { PluginManager } from 'bulkhead';
import { RedisJobQueue } from 'bulkhead/redis';
import { fixture } from '../helpers.js';
import { type FakePlugin, pluginDir, tempHome } from '../manager-helpers.js';
import { redisMissing, TestRedis } from '../redis-helpers.js';

const hostScript = fixture('../redis-host');

/** A host process and the lines it has printed; `line(re)` resolves with the first match. */
class Host {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  id = '';
  #waiters: { re: RegExp; resolve: (l: string) => void }[] = [];

  constructor(plugins: FakePlugin[], url: string, gpuFreeMB?: number) {
    const args = [
      hostScript,
      pluginDir(plugins),
      tempHome(),
      url,
      ...(gpuFreeMB === undefined ? [] : [String(gpuFreeMB)]),
    ];
    this.proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    this.proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (let i = buffered.indexOf('\n'); i !== -1; i = buffered.indexOf('\n')) {
        const l = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        this.lines.push(l);
        for (const w of [...this.#waiters]) {
          if (w.re.test(l)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(l);
          }
        }
      }
    });
  }

  line(re: RegExp): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ re, resolve }));
  }

  async ready(): Promise<this> {
    this.id = (await this.line(/^ready /)).slice(6);
    return this;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill(signal);
    await exited;
  }
}

const skip = redisMissing();

describe('scale-out on Redis (hosts as processes)', { skip }, () => {
  const redis = new TestRedis();
  const hosts: Host[] = [];
  let client: RedisJobQueue;
  let manager: PluginManager;
  let prefix = 0;

  /** A fresh Redis database per test: hosts of one test never see another's jobs. */
  function url(): string {
    return `${redis.url}/${prefix}`;
  }

  before(async () => {
    await redis.start();
    manager = new PluginManager({ pluginPaths: [pluginDir([])], home: tempHome() });
  });

  after(async () => {
    await Promise.all(hosts.map((h) => h.stop('SIGKILL')));
    await client?.stop().catch(() => {});
    await manager?.close();
    await redis.stop();
  });

  async function start(plugins: FakePlugin[], gpuFreeMB?: number): Promise<Host> {
    const h = new Host(plugins, url(), gpuFreeMB);
    hosts.push(h);
    return h.ready();
  }

  async function freshClient(): Promise<RedisJobQueue> {
    await client?.stop().catch(() => {});
    // The test's own queue submits and watches; it runs nothing (no plugins, never started).
    client = await RedisJobQueue.open({ manager, redis: url(), control: false });
    return client;
  }

  async function flush(): Promise<void> {
    for (const h of hosts.splice(0)) await h.stop('SIGKILL');
    prefix++;
    await freshClient();
  }

  test('a job goes only to a host that has its plugin', async () => {
    await flush();
    const a = await start([{ name: 'alpha', fixture: 'echo' }]);
    const b = await start([{ name: 'beta', fixture: 'echo' }]);
    const ids = await client.submitMany([
      ...Array.from({ length: 4 }, (_, i) => ({ plugin: 'alpha', input: { x: i } })),
      ...Array.from({ length: 4 }, (_, i) => ({ plugin: 'beta', input: { x: i } })),
    ]);
    const jobs = await Promise.all(ids.map((id) => client.wait(id)));
    for (const j of jobs) {
      assert.equal(j.status, 'completed');
      assert.equal(j.host, j.plugin === 'alpha' ? a.id : b.id);
    }
    assert.deepEqual((await client.get(ids[0] as string)).result, { echo: { x: 0 }, prefix: '>', repeat: 1 });
    // A plugin no host has is refused at submit, with nothing stored.
    await assert.rejects(client.submit('gamma', {}), (e) => isBulkheadError(e, 'ERR_UNKNOWN_PLUGIN'));
    const hostsSeen = (await client.backend()).hosts.map((h) => [h.id, h.plugins]);
    assert.deepEqual(
      hostsSeen.sort(),
      [
        [a.id, ['alpha']],
        [b.id, ['beta']],
      ].sort(),
    );
  });

  test('a host whose GPU is too small leaves the job to the host where it fits', async () => {
    await flush();
    const gpu: FakePlugin = { name: 'render', fixture: 'echo', resources: { gpuMemoryMB: 8000 } };
    const small = await start([gpu], 4000);
    const big = await start([gpu], 20_000);
    const ids = await client.submitMany(Array.from({ length: 3 }, (_, i) => ({ plugin: 'render', input: { x: i } })));
    for (const id of ids) {
      const j = await client.wait(id);
      assert.equal(j.status, 'completed');
      assert.equal(j.host, big.id);
    }
    assert.ok(!small.lines.some((l) => l.startsWith('started')), small.lines.join('\n'));
  });

  test('cancel from another host reaches the host running the job (cooperative, then forced)', async () => {
    await flush();
    const h = await start([
      { name: 'slow', fixture: 'slow' },
      { name: 'stubborn', fixture: 'busy-then-ignores-abort' },
    ]);
    // Events from the host that runs a job reach every host: the first progress report (or log
    // line) says the plugin itself is running it.
    const reached = (id: string, event: 'progress' | 'log') =>
      new Promise<void>((resolve) => {
        const on = (e: { id: string }) => {
          if (e.id !== id) return;
          client.off(event, on);
          resolve();
        };
        client.on(event, on);
      });
    const id = await client.submit('slow', { steps: 10_000, stepMs: 20 });
    await reached(id, 'progress');
    const cancelled = await client.cancel(id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.error?.code, 'ERR_CANCELLED');
    assert.ok(
      cancelled.timeline.some((e) => e.type === 'cancelled' && e.detail === 'the plugin stopped on its signal'),
    );
    await h.line(new RegExp(`^cancelled ${id}`));
    const stuck = await client.submit('stubborn', {});
    await reached(stuck, 'log');
    const forced = await client.cancel(stuck);
    assert.equal(forced.status, 'cancelled');
    assert.ok(
      forced.timeline.some((e) => e.type === 'cancelled' && e.detail?.startsWith('forced')),
      JSON.stringify(forced.timeline),
    );
  });

  test('a host killed mid-job: the job is retried on the other host', async () => {
    await flush();
    const plugins: FakePlugin[] = [{ name: 'slow', fixture: 'slow' }];
    const a = await start(plugins);
    const b = await start(plugins);
    const id = await client.submit('slow', { steps: 20, stepMs: 50 }, { maxAttempts: 2 });
    const [first] = await Promise.race([a, b].map((h) => h.line(new RegExp(`^started ${id}`)).then(() => [h])));
    const victim = first as Host;
    const other = victim === a ? b : a;
    await victim.stop('SIGKILL');
    const job = await client.wait(id);
    assert.equal(job.status, 'completed');
    assert.equal(job.host, other.id);
    assert.equal(job.attempts, 2);
    assert.ok(job.timeline.some((e) => e.type === 'interrupted' && e.attempt === 1));
  });

  test('a host killed with no attempts left: the job fails as interrupted', async () => {
    await flush();
    const plugins: FakePlugin[] = [{ name: 'slow', fixture: 'slow' }];
    const a = await start(plugins);
    const id = await client.submit('slow', { steps: 1000, stepMs: 20 });
    await a.line(new RegExp(`^started ${id}`));
    await a.stop('SIGKILL');
    await start(plugins);
    const job = await client.wait(id);
    assert.equal(job.status, 'failed');
    assert.equal(job.error?.code, 'ERR_JOB_INTERRUPTED');
  });

  test('graceful stop hands a running job back; another host runs it, the attempt not counted', async () => {
    await flush();
    const plugins: FakePlugin[] = [{ name: 'slow', fixture: 'slow' }];
    const a = await start(plugins);
    const id = await client.submit('slow', { steps: 1000, stepMs: 20 });
    await a.line(new RegExp(`^started ${id}`));
    await a.stop('SIGTERM');
    const back = await client.get(id);
    assert.equal(back.status, 'pending');
    assert.equal(back.attempts, 0);
    const b = await start(plugins);
    await b.line(new RegExp(`^started ${id}`));
    assert.equal((await client.cancel(id)).status, 'cancelled');
  });

  test('Redis restarted mid-run: every job completes, none lost', async () => {
    await flush();
    const a = await start([{ name: 'slow', fixture: 'slow' }]);
    const ids = await client.submitMany(
      Array.from({ length: 8 }, () => ({ plugin: 'slow', input: { steps: 2, stepMs: 40 } })),
    );
    await a.line(/^completed /);
    await redis.stop();
    // Killed mid-run: jobs were still waiting (and one running) when Redis went away.
    assert.ok(a.lines.filter((l) => l.startsWith('completed')).length < ids.length);
    await redis.start();
    // The client reconnects by itself; until then its calls say Redis is away.
    while (!(await client.backend()).connected) await new Promise((r) => setTimeout(r, 20));
    for (const id of ids) assert.equal((await client.wait(id)).status, 'completed', id);
  });

  test('Redis not reachable at open: ERR_REDIS_UNAVAILABLE naming the server, at once', async () => {
    const dead = new TestRedis();
    await dead.start();
    const deadUrl = dead.url;
    await dead.stop();
    await assert.rejects(
      RedisJobQueue.open({ manager, redis: deadUrl, control: false }),
      (e) => isBulkheadError(e, 'ERR_REDIS_UNAVAILABLE') && e.message.includes(`127.0.0.1:${dead.port}`),
    );
  });
});
