/**
 * Scale-out on Redis (BullMQ): hosts are separate processes sharing one queue on a private
 * redis-server. No-op jobs end to end through 2 hosts next to raw BullMQ (add + process, 2 workers
 * in this process) against the same server in the same run; a cross-host cancel; how long a
 * killed host's job takes to run again elsewhere; and throughput of 1, 2 and 4 hosts with a plugin
 * that sleeps 50 ms per job. Skipped with a notice when redis-server is not installed.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginManager } from 'bulkhead';
import { RedisJobQueue } from 'bulkhead/redis';
import { Queue, Worker } from 'bullmq';
import { pluginTree } from '../manifests.js';
import { here } from '../paths.js';
import { type BenchRedis, redisServerMissing, startRedis } from '../redis-server.js';
import { median, percentile } from '../stats.js';
import type { Benchmark } from '../types.js';

const NOOP_JOBS = 2000;
/** Jobs of one plugin a host (or a raw BullMQ worker) runs at once in the throughput runs. */
const CONCURRENCY = 16;

interface Host {
  proc: ChildProcess;
  id: string;
}

async function startHost(pluginDir: string, url: string): Promise<Host> {
  const home = mkdtempSync(join(tmpdir(), 'bulkhead-bench-home-'));
  const proc = spawn(process.execPath, [join(here, 'redis-host.js'), pluginDir, home, url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const id = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.once('exit', (code) => reject(new Error(`bench host exited (${code}) before it was ready`)));
    proc.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /^ready (\S+)$/m.exec(out);
      if (m) resolve(m[1] as string);
    });
  });
  return { proc, id };
}

async function stopHost(h: Host, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (h.proc.exitCode !== null || h.proc.signalCode !== null) return;
  const exited = new Promise((r) => h.proc.once('exit', r));
  h.proc.kill(signal);
  await exited;
}

/** A queue in this process that submits and watches, and runs nothing. */
async function client(url: string): Promise<{ queue: RedisJobQueue; close(): Promise<void> }> {
  const empty = mkdtempSync(join(tmpdir(), 'bulkhead-bench-none-'));
  const manager = new PluginManager({ pluginPaths: [empty], home: join(empty, 'home') });
  const queue = await RedisJobQueue.open({ manager, redis: url, control: false });
  return {
    queue,
    async close() {
      await queue.stop();
      await manager.close();
    },
  };
}

/** Resolves once `n` jobs have completed, as the events channel tells this process. */
function completions(queue: RedisJobQueue, n: number): Promise<void> {
  return new Promise((resolve) => {
    let done = 0;
    const on = () => {
      if (++done < n) return;
      queue.off('completed', on);
      resolve();
    };
    queue.on('completed', on);
  });
}

/** Jobs/s through `hosts` host processes: submit `n` jobs at once, until the last completes. */
async function throughput(redis: BenchRedis, hosts: number, fixture: string, input: unknown, n: number) {
  const db = `${redis.url}/${Math.floor(Math.random() * 15) + 1}`;
  const tree = pluginTree(1, fixture, fixture === 'noop' ? CONCURRENCY : 1);
  const name = tree.names[0] as string;
  const started = await Promise.all(Array.from({ length: hosts }, () => startHost(tree.dir, db)));
  const c = await client(db);
  try {
    // Warm: every host's worker is loaded already; one round through the queue first.
    await Promise.all(
      (await c.queue.submitMany(started.map(() => ({ plugin: name, input })))).map((id) => c.queue.wait(id)),
    );
    const all = completions(c.queue, n);
    const t0 = performance.now();
    for (let i = 0; i < n; i += 500) {
      await c.queue.submitMany(Array.from({ length: Math.min(500, n - i) }, () => ({ plugin: name, input })));
    }
    await all;
    return (n / (performance.now() - t0)) * 1000;
  } finally {
    await c.close();
    await Promise.all(started.map((h) => stopHost(h)));
    await flush(db);
    tree.remove();
  }
}

async function flush(url: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url);
  await r.flushdb();
  r.disconnect();
}

/** The same no-op work on bare BullMQ: addBulk, two workers of CONCURRENCY, until all complete. */
async function rawBullmq(redis: BenchRedis, n: number): Promise<number> {
  const url = `${redis.url}/15`;
  const connection = { url, maxRetriesPerRequest: null } as never;
  const queue = new Queue('raw', { connection });
  let done = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((r) => {
    resolveAll = r;
  });
  const workers = [0, 1].map(
    () =>
      new Worker('raw', async (job) => job.data, {
        connection,
        concurrency: CONCURRENCY,
        removeOnComplete: { count: 0 },
      }),
  );
  for (const w of workers)
    w.on('completed', () => {
      if (++done === n) resolveAll();
    });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const t0 = performance.now();
  for (let i = 0; i < n; i += 500) {
    await queue.addBulk(Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ name: 'noop', data: { x: i + j } })));
  }
  await all;
  const perS = (n / (performance.now() - t0)) * 1000;
  await Promise.all(workers.map((w) => w.close()));
  await queue.obliterate({ force: true });
  await queue.close();
  return perS;
}

/** Submit a long job, wait until the plugin reports progress, cancel it from this process: ms to `cancelled`. */
async function cancels(redis: BenchRedis, rounds: number): Promise<number[]> {
  const db = `${redis.url}/14`;
  const tree = pluginTree(1, 'slow');
  const name = tree.names[0] as string;
  const host = await startHost(tree.dir, db);
  const c = await client(db);
  const samples: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const id = await c.queue.submit(name, { steps: 100_000, stepMs: 10 });
      await new Promise<void>((resolve) => {
        const on = (e: { id: string }) => {
          if (e.id !== id) return;
          c.queue.off('progress', on);
          resolve();
        };
        c.queue.on('progress', on);
      });
      const t0 = performance.now();
      const job = await c.queue.cancel(id);
      samples.push(performance.now() - t0);
      if (job.status !== 'cancelled') throw new Error(`cancel ended ${job.status}`);
    }
    return samples;
  } finally {
    await c.close();
    await stopHost(host);
    await flush(db);
    tree.remove();
  }
}

/** Two hosts; kill -9 the one running a job; seconds until the job starts again on the other. */
async function recovery(redis: BenchRedis, rounds: number): Promise<number[]> {
  const db = `${redis.url}/13`;
  const tree = pluginTree(1, 'slow');
  const name = tree.names[0] as string;
  const c = await client(db);
  const samples: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const hosts = await Promise.all([startHost(tree.dir, db), startHost(tree.dir, db)]);
      const id = await c.queue.submit(name, { steps: 100_000, stepMs: 10 }, { maxAttempts: 2 });
      const again = new Promise<void>((resolve) => {
        c.queue.on('started', function on(e) {
          if (e.id !== id || e.attempt !== 2) return;
          c.queue.off('started', on);
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        c.queue.on('progress', function on(e) {
          if (e.id !== id) return;
          c.queue.off('progress', on);
          resolve();
        });
      });
      const runner = (await c.queue.get(id)).host;
      const victim = hosts.find((h) => h.id === runner) as Host;
      const t0 = performance.now();
      await stopHost(victim, 'SIGKILL');
      await again;
      samples.push((performance.now() - t0) / 1000);
      await c.queue.cancel(id);
      await Promise.all(hosts.map((h) => stopHost(h)));
    }
    return samples;
  } finally {
    await c.close();
    await flush(db);
    tree.remove();
  }
}

const SCALE_NOTE = 'one job per host at a time, a plugin that sleeps 50 ms per job';

export const redis: Benchmark = {
  name: 'redis',
  metrics: [
    {
      key: 'redis_jobs_per_s',
      label: `Redis queue: no-op jobs through 2 hosts (c=${CONCURRENCY} each)`,
      unit: 'jobs/s',
      better: 'higher',
      floor: 'bullmq_raw_jobs_per_s',
      target: { vsFloor: 0.8 },
      note: 'floor: raw BullMQ addBulk + 2 workers of the same concurrency, same server, same run',
    },
    {
      key: 'redis_cancel_p50_ms',
      label: 'Redis queue: cancel from another host to cancelled (p50)',
      unit: 'ms',
      better: 'lower',
      target: { value: 250 },
    },
    {
      key: 'redis_recovery_s',
      label: 'Redis queue: killed host, its job running again elsewhere (median)',
      unit: 's',
      better: 'lower',
      target: { value: 10 },
      note: 'lock 3 s renewed every 1 s, stalled check every 2 s',
    },
    {
      key: 'redis_scale_jobs_per_s_1',
      label: 'Redis scale: 1 host',
      unit: 'jobs/s',
      better: 'higher',
      note: SCALE_NOTE,
    },
    {
      key: 'redis_scale_jobs_per_s_2',
      label: 'Redis scale: 2 hosts',
      unit: 'jobs/s',
      better: 'higher',
      floor: 'redis_scale_jobs_per_s_1',
      target: { vsFloor: 1.8 },
    },
    {
      key: 'redis_scale_jobs_per_s_4',
      label: 'Redis scale: 4 hosts',
      unit: 'jobs/s',
      better: 'higher',
      floor: 'redis_scale_jobs_per_s_1',
      target: { vsFloor: 3.5 },
    },
  ],
  async run(): Promise<Record<string, number>> {
    const missing = redisServerMissing();
    if (missing !== null) {
      process.stderr.write(`(skipped: ${missing}) `);
      return {};
    }
    const server = await startRedis();
    try {
      const raw: number[] = [];
      const ours: number[] = [];
      // Alternated, so load on the machine hits both alike.
      for (let round = 0; round < 3; round++) {
        raw.push(await rawBullmq(server, NOOP_JOBS));
        ours.push(await throughput(server, 2, 'noop', { x: 1 }, NOOP_JOBS));
      }
      const cancel = await cancels(server, 15);
      const recover = await recovery(server, 3);
      const sleepy = { steps: 1, stepMs: 50 };
      const scale1 = await throughput(server, 1, 'slow', sleepy, 60);
      const scale2 = await throughput(server, 2, 'slow', sleepy, 120);
      const scale4 = await throughput(server, 4, 'slow', sleepy, 240);
      return {
        redis_jobs_per_s: median(ours),
        bullmq_raw_jobs_per_s: median(raw),
        redis_cancel_p50_ms: percentile(cancel, 0.5),
        redis_recovery_s: median(recover),
        redis_scale_jobs_per_s_1: scale1,
        redis_scale_jobs_per_s_2: scale2,
        redis_scale_jobs_per_s_4: scale4,
      };
    } finally {
      await server.stop();
    }
  },
};
