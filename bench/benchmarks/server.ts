/**
 * `bulkhead serve`: the event stream's latency under load, the job list and text search over a
 * large durable history, jobs submitted and awaited over HTTP against the library doing the same,
 * and the dashboard's load in headless Chromium. All HTTP is to 127.0.0.1; every phase is bounded.
 * @module
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeFrame } from '@bulkhead/sdk/protocol';
import { type BulkheadServer, serve } from 'bulkhead/server';
import { SqliteJobStore } from 'bulkhead/sqlite';
import { pluginTree } from '../manifests.js';
import { here } from '../paths.js';
import { median } from '../stats.js';
import type { Benchmark } from '../types.js';

const HISTORY = 100_000;

function child(
  script: string,
  args: string[],
): { done: Promise<string>; stdin: NodeJS.WritableStream; firstLine: Promise<string> } {
  const p = spawn(process.execPath, [join(here, 'clients', `${script}.js`), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  let resolveFirst!: (s: string) => void;
  const firstLine = new Promise<string>((r) => {
    resolveFirst = r;
  });
  p.stdout.on('data', (d: Buffer) => {
    out += d;
    if (out.includes('\n')) resolveFirst(out.slice(0, out.indexOf('\n')));
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), 300_000);
  const done = new Promise<string>((resolve, reject) =>
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim().split('\n').at(-1) as string);
      else reject(new Error(`${script} exited with ${code}`));
    }),
  );
  return { done, stdin: p.stdin, firstLine };
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function sse(): Promise<Record<string, number>> {
  const tree = pluginTree(1, 'ticker');
  const server = await serve({ home: tree.home, port: 0, manager: { pluginPaths: [tree.dir] }, sampleMs: 0 });
  try {
    const clients = child('sse-clients', [server.urlWithToken, '10', 'ready']);
    await clients.firstLine;
    await until(() => server.hub.listenerCount('event') === 10, '10 event-stream clients');
    const id = await server.client.submit(tree.names[0] as string, { rate: 1000, seconds: 5 });
    clients.stdin.write(`${id}\n`);
    await server.client.watch(id, () => {});
    const { count, p50, p99 } = JSON.parse(await clients.done) as { count: number; p50: number; p99: number };
    return { sse_p50_ms: p50, sse_p99_ms: p99, sse_received: count };
  } finally {
    await server.close();
    tree.remove();
  }
}

/** A home whose history holds `n` finished jobs (every 1000th failed with a findable message), written through the JobStore API. */
async function bigHistory(home: string, plugin: string, n: number): Promise<void> {
  mkdirSync(home, { recursive: true });
  const store = await SqliteJobStore.open(join(home, 'jobs.db'));
  const encode = (v: unknown) => Buffer.concat(encodeFrame({ id: 0, result: v }, 256 * 1024 * 1024)).subarray(4);
  const input = encode({ x: 1 });
  const result = encode('done');
  const t0 = Date.now() - n * 10;
  try {
    for (let i = 0; i < n; i += 5000) {
      const batch = Array.from({ length: Math.min(5000, n - i) }, (_, k) => ({
        id: crypto.randomUUID(),
        plugin,
        input,
        priority: 0,
        idempotencyKey: null,
        maxAttempts: 1,
        timeoutMs: null,
        createdAt: t0 + (i + k) * 10,
      }));
      await store.insert(batch);
      await store.batch(
        batch.map((j, k) => {
          const failed = (i + k) % 1000 === 0;
          return {
            op: 'update' as const,
            id: j.id,
            patch: failed
              ? {
                  status: 'failed' as const,
                  startedAt: j.createdAt,
                  finishedAt: j.createdAt + 5,
                  error: { code: 'ERR_PLUGIN_FAILED', message: `needle ${i + k} broke` },
                }
              : { status: 'completed' as const, startedAt: j.createdAt, finishedAt: j.createdAt + 5, result },
          };
        }),
      );
    }
  } finally {
    await store.close();
  }
}

async function timed(f: () => Promise<unknown>, n: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

async function withHistory<T>(f: (server: BulkheadServer, plugins: string[]) => Promise<T>): Promise<T> {
  const tree = pluginTree(2, 'noop', 4);
  await bigHistory(tree.home, tree.names[0] as string, HISTORY);
  const server = await serve({
    home: tree.home,
    port: 0,
    manager: { pluginPaths: [tree.dir], liveness: { pingIntervalMs: 0 } },
    // Keep the whole history: the default retention would prune it to 10,000.
    queue: { retention: { maxCount: 10 * HISTORY, maxAgeMs: 1e13 } },
    sampleMs: 0,
  });
  try {
    return await f(server, tree.names);
  } finally {
    await server.close();
    tree.remove();
  }
}

async function history(): Promise<Record<string, number>> {
  return withHistory(async (server, plugins) => {
    const auth = { authorization: `Bearer ${server.token}` };
    const get = async (path: string) => {
      const res = await fetch(`${server.url}${path.slice(1)}`, { headers: auth });
      if (!res.ok) throw new Error(`${path}: ${res.status}`);
      await res.arrayBuffer();
    };
    await timed(() => get('/api/jobs?limit=100'), 20);
    const list = await timed(() => get('/api/jobs?limit=100'), 200);
    const search = await timed(() => get('/api/jobs?limit=100&q=needle%204200'), 50);
    const dashboard = await dashboardLoad(server);

    // The library, then HTTP, on the same queue and plugins: 16 clients each submitting a no-op
    // job and awaiting its end.
    await Promise.all(plugins.map((p) => server.client.loadPlugin(p)));
    const total = 2000;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const i = next++;
          const id = await server.client.submit(plugins[i % 2] as string, { i });
          await server.client.queue.wait(id);
        }
      }),
    );
    const libMs = performance.now() - t0;
    const load = child('http-load', [server.urlWithToken, plugins.join(','), '16', String(total)]);
    const { ms } = JSON.parse(await load.done) as { ms: number };
    return {
      api_jobs_p50_ms: list,
      api_search_p50_ms: search,
      http_jobs_per_s: (total / ms) * 1000,
      lib_jobs_per_s_16: (total / libMs) * 1000,
      ...(dashboard === null ? {} : { dashboard_load_ms: dashboard }),
    };
  });
}

/** Headless Debian Chromium: from navigation to the jobs table rendered (its first page of history), median of 5; null without chromium. */
async function dashboardLoad(server: BulkheadServer): Promise<number | null> {
  const executablePath = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium'].find(
    (p) => p && existsSync(p),
  );
  if (!executablePath) {
    process.stderr.write('(dashboard_load_ms skipped: no chromium) ');
    return null;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const context = await browser.newContext();
    const url = new URL(server.url);
    await context.addCookies([
      { name: 'bulkhead_token', value: server.token as string, domain: url.hostname, path: '/', httpOnly: true },
    ]);
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) {
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(`${server.url}#/jobs`);
      await page.waitForFunction(
        'document.querySelectorAll(\'[data-table="history"] tr[data-job]\').length >= 50',
        undefined,
        { timeout: 60_000 },
      );
      if (i > 0) samples.push(performance.now() - t0); // the first load warms the browser's caches
      await page.close();
    }
    return median(samples);
  } finally {
    await browser.close();
  }
}

export const server: Benchmark = {
  name: 'server',
  metrics: [
    {
      key: 'sse_p99_ms',
      label: 'event stream: progress emit → receipt, p99',
      unit: 'ms',
      better: 'lower',
      target: { value: 50 },
      note: '1,000 progress events/s from a plugin worker for 5 s, to 10 clients in another process (50,000 receipts)',
    },
    {
      key: 'api_jobs_p50_ms',
      label: 'GET /api/jobs?limit=100, 100k jobs in history',
      unit: 'ms',
      better: 'lower',
      target: { value: 10 },
      note: 'median of 200 requests over HTTP on 127.0.0.1, 100,000 finished jobs in the SQLite history',
    },
    {
      key: 'api_search_p50_ms',
      label: 'GET /api/jobs?q=… text search, 100k jobs',
      unit: 'ms',
      better: 'lower',
      target: { value: 10 },
      note: 'median of 50 searches (substring of id, plugin, error, timeline) over 100,000 jobs',
    },
    {
      key: 'http_jobs_per_s',
      label: 'no-op jobs submitted + awaited over HTTP, 16 clients',
      unit: 'jobs/s',
      better: 'higher',
      floor: 'lib_jobs_per_s_16',
      target: { vsFloor: 0.5 },
      note: 'floor: the library doing the same (16 concurrent submit + wait on the same queue and plugins); HTTP clients in another process',
    },
    {
      key: 'dashboard_load_ms',
      label: 'dashboard: open to the jobs table rendered, 100k jobs',
      unit: 'ms',
      better: 'lower',
      target: { value: 1000 },
      note: 'headless Debian Chromium, navigation start to 50 history rows in the DOM, median of 5 (after one warm-up)',
    },
  ],
  async run() {
    return { ...(await sse()), ...(await history()) };
  },
};
