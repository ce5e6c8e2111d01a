/**
 * The job queue: durable submits (fsync'd, single and batched), end-to-end no-op jobs through two
 * plugins, the scheduler's cost per admission, and how fast a running job's cancel lands.
 * @module
 */
import { JobQueue, PluginManager } from 'bulkhead';
import { pluginTree } from '../manifests.js';
import { median, percentile } from '../stats.js';
import { timeMs } from '../timing.js';
import type { Benchmark } from '../types.js';

async function openQueue(plugins: number, fixtureName = 'noop', concurrency = 1) {
  const tree = pluginTree(plugins, fixtureName, concurrency);
  const manager = new PluginManager({ pluginPaths: [tree.dir], home: tree.home, liveness: { pingIntervalMs: 0 } });
  await manager.discover();
  const queue = await JobQueue.open({ manager, durability: 'fsync' });
  return {
    tree,
    manager,
    queue,
    async close() {
      await queue.stop({ timeoutMs: 5000 });
      await manager.close();
      tree.remove();
    },
  };
}

async function submits(): Promise<Record<string, number>> {
  const env = await openQueue(1);
  const name = env.tree.names[0] as string;
  try {
    for (let i = 0; i < 200; i++) await env.queue.submit(name, { x: i });
    const single = 2000;
    const singleMs = await timeMs(async () => {
      for (let i = 0; i < single; i++) await env.queue.submit(name, { x: i });
    });
    const batches = 50;
    const size = 200;
    const batch = Array.from({ length: size }, (_, i) => ({ plugin: name, input: { x: i } }));
    const batchMs = await timeMs(async () => {
      for (let b = 0; b < batches; b++) await env.queue.submitMany(batch);
    });
    return { submit_per_s: (single / singleMs) * 1000, submit_batch_per_s: ((batches * size) / batchMs) * 1000 };
  } finally {
    await env.close();
  }
}

async function jobsThroughTwoPlugins(concurrency: number): Promise<number> {
  const env = await openQueue(2, 'noop', concurrency);
  const [a, b] = env.tree.names as [string, string];
  try {
    await Promise.all([env.manager.load(a), env.manager.load(b)]);
    const n = 4000;
    const jobs = Array.from({ length: n }, (_, i) => ({ plugin: i % 2 ? a : b, input: { x: i } }));
    for (let i = 0; i < n; i += 500) await env.queue.submitMany(jobs.slice(i, i + 500));
    const ms = await timeMs(async () => {
      await env.queue.start();
      await env.queue.stop({ drain: true });
    });
    return (n / ms) * 1000;
  } finally {
    await env.close();
  }
}

async function scheduleOverhead(): Promise<Record<string, number>> {
  const env = await openQueue(1);
  try {
    const scheduler = env.queue.scheduler;
    await scheduler.fresh();
    const needs = { memoryMB: 1, cpus: 0.01 };
    // A realistic ledger: 20 reservations held while each admission is decided.
    for (let i = 0; i < 20; i++) scheduler.tryAcquire(`held-${i}`, needs);
    const samples: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const t0 = process.hrtime.bigint();
      scheduler.tryAcquire(`job-${i}`, needs);
      scheduler.release(`job-${i}`);
      samples.push(Number(process.hrtime.bigint() - t0));
    }
    return { schedule_overhead_p50_us: percentile(samples, 0.5) / 1000 };
  } finally {
    await env.close();
  }
}

async function cancelLatency(): Promise<Record<string, number>> {
  const env = await openQueue(1, 'slow');
  const name = env.tree.names[0] as string;
  try {
    await env.queue.start();
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const id = await env.queue.submit(name, { steps: 100_000, stepMs: 10 });
      await new Promise<void>((resolve) => {
        const onProgress = (p: { id: string }) => {
          if (p.id === id) {
            env.queue.off('progress', onProgress);
            resolve();
          }
        };
        env.queue.on('progress', onProgress);
      });
      times.push(await timeMs(() => env.queue.cancel(id)));
    }
    return { cancel_p50_ms: median(times) };
  } finally {
    await env.close();
  }
}

export const queue: Benchmark = {
  name: 'queue',
  metrics: [
    {
      key: 'submit_per_s',
      label: "durable submits, one at a time (fsync'd)",
      unit: 'jobs/s',
      better: 'higher',
      target: { value: 3000 },
      note: '2,000 awaited submit() calls, SQLite WAL, synchronous=FULL',
    },
    {
      key: 'submit_batch_per_s',
      label: "durable submits, batches of 200 (fsync'd)",
      unit: 'jobs/s',
      better: 'higher',
      target: { value: 10_000 },
      note: '50 submitMany() calls of 200 jobs',
    },
    {
      key: 'jobs_per_s',
      label: 'no-op jobs end to end, two plugins',
      unit: 'jobs/s',
      better: 'higher',
      target: { value: 3000 },
      note: '4,000 queued jobs on two loaded noop plugins (concurrency 1 each, the default), start() to drained',
    },
    {
      key: 'jobs_per_s_concurrency_4',
      label: 'no-op jobs end to end, two plugins, concurrency 4',
      unit: 'jobs/s',
      better: 'higher',
      note: 'the same with manifest concurrency 4 (for plugins that take parallel calls)',
    },
    {
      key: 'schedule_overhead_p50_us',
      label: 'scheduler admission + release',
      unit: 'µs',
      better: 'lower',
      target: { value: 200 },
      note: 'tryAcquire + release with 20 reservations held, p50 of 20,000',
    },
    {
      key: 'cancel_p50_ms',
      label: 'cancel of a running cooperative job',
      unit: 'ms',
      better: 'lower',
      target: { value: 50 },
      note: 'cancel() call to the job stored as cancelled, median of 15',
    },
  ],
  async run() {
    return {
      ...(await submits()),
      jobs_per_s: await jobsThroughTwoPlugins(1),
      jobs_per_s_concurrency_4: await jobsThroughTwoPlugins(4),
      ...(await scheduleOverhead()),
      ...(await cancelLatency()),
    };
  },
};
