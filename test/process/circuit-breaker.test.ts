/**
 * A plugin that keeps crashing opens its circuit; its queued jobs then wait (attempts untouched,
 * `explain` says why) instead of failing at once, retries back off, the circuit half-opens after
 * its cool-down and closes on success, and `reset` closes it at once.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type Job, JobQueue, PluginManager, type PluginManagerOptions } from 'bulkhead';
import { cleanUp, cli, cliEnv } from '../cli-helpers.js';
import { tempDir } from '../helpers.js';
import { pluginDir, tempHome } from '../manager-helpers.js';

const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const breakerModule = () =>
  import(built('./manager/circuit-breaker.js')) as Promise<
    typeof import('../../packages/host/src/manager/circuit-breaker.js')
  >;
const retryModule = () =>
  import(built('./queue/retry-policy.js')) as Promise<typeof import('../../packages/host/src/queue/retry-policy.js')>;

async function setup(restart: PluginManagerOptions['restart']) {
  const marker = join(tempDir('bulkhead-marker-'), 'down');
  writeFileSync(marker, '');
  const manager = new PluginManager({
    pluginPaths: [pluginDir([{ name: 'flaky', fixture: 'crash-while-marked' }])],
    home: tempHome(),
    liveness: { pingIntervalMs: 0 },
    restart,
  });
  const queue = await JobQueue.open({ manager, durability: 'process', retryBackoff: { initialMs: 10, maxMs: 40 } });
  await queue.start();
  const opened = new Promise<void>((resolve) =>
    manager.on('crashed', (c) => {
      if (c.failed) resolve();
    }),
  );
  return { manager, queue, marker, opened };
}

const finished = (queue: JobQueue, ids: string[]) => Promise.all(ids.map((id) => queue.wait(id) as Promise<Job>));

describe('the circuit breaker holds jobs instead of burning them', () => {
  test('20 queued jobs (3 attempts) on a plugin whose circuit opens: none fails, all wait; reset runs them', async () => {
    const { manager, queue, marker, opened } = await setup({ maxCrashes: 3, backoffInitialMs: 5, cooldownMs: 600_000 });
    await using _m = manager;
    await using _q = queue;
    const ids = await Promise.all(
      Array.from({ length: 20 }, () => queue.submit('flaky', { marker }, { maxAttempts: 3 })),
    );
    await opened;
    // The circuit is open: whatever is queued stays queued, attempts untouched.
    const jobs = await Promise.all(ids.map((id) => queue.get(id)));
    const failed = jobs.filter((j) => j?.status === 'failed');
    assert.deepEqual(failed, [], 'no job fails while its plugin is unavailable');
    const waiting = jobs.filter((j) => j?.status === 'pending');
    assert.ok(waiting.length >= 17, `at most 3 jobs ran (one crash each); ${waiting.length} wait`);
    const untouched = waiting.filter((j) => j?.attempts === 0);
    assert.ok(untouched.length >= 17, 'the held jobs spent no attempt');
    const why = await queue.explain(untouched.at(-1)?.id as string);
    assert.equal(why.reasons[0]?.kind, 'plugin-unavailable');
    assert.match(why.message, /circuit is open until .*`bulkhead plugins reset flaky`/);
    assert.equal(manager.availability('flaky').state, 'open');
    // The dependency is back, and someone resets the plugin: everything runs.
    rmSync(marker);
    await manager.reset('flaky');
    const done = await finished(queue, ids);
    assert.deepEqual(
      done.map((j) => j.status),
      ids.map(() => 'completed'),
    );
    assert.ok(done.every((j) => j.attempts <= 3));
  });

  test('after its cool-down the circuit half-opens, one trial succeeds and closes it: no reset needed', async () => {
    const { manager, queue, marker, opened } = await setup({ maxCrashes: 2, backoffInitialMs: 5, cooldownMs: 300 });
    await using _m = manager;
    await using _q = queue;
    const ids = await Promise.all(
      Array.from({ length: 6 }, () => queue.submit('flaky', { marker }, { maxAttempts: 2 })),
    );
    await opened;
    const closed = new Promise<void>((resolve) =>
      manager.on('log', (e) => {
        if (e.name === 'flaky' && /circuit closed/.test(e.message)) resolve();
      }),
    );
    rmSync(marker);
    const done = await finished(queue, ids);
    await closed;
    assert.deepEqual(
      done.map((j) => j.status),
      ids.map(() => 'completed'),
    );
    assert.equal(manager.availability('flaky').state, 'closed');
  });
});

describe('breaker and backoff bookkeeping', () => {
  const policy = {
    mode: 'on-demand' as const,
    maxCrashes: 2,
    windowMs: 1000,
    backoffInitialMs: 10,
    backoffMaxMs: 100,
    cooldownMs: 100,
    cooldownMaxMs: 300,
  };
  test('closed → open at maxCrashes → half-open after the cool-down → open for twice as long → closed on success', async () => {
    const { CircuitBreaker } = await breakerModule();
    const b = new CircuitBreaker(policy);
    assert.equal(b.record(0), false);
    assert.equal(b.state(0), 'closed');
    assert.equal(b.record(10), true);
    assert.equal(b.state(50), 'open');
    assert.equal(b.retryAt, 110);
    assert.equal(b.state(110), 'half-open');
    assert.equal(b.record(120), true, 'the trial crashed');
    assert.equal(b.retryAt, 320);
    assert.equal(b.state(300), 'open');
    b.record(400);
    assert.equal(b.retryAt, 700, 'the cool-down is capped');
    assert.equal(b.succeeded(), true);
    assert.equal(b.state(701), 'closed');
    assert.equal(b.count, 0);
  });

  test('retry delays double up to the cap', async () => {
    const { retryDelay } = await retryModule();
    const backoff = { initialMs: 250, maxMs: 1000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => retryDelay(backoff, n)),
      [0, 250, 500, 1000, 1000],
    );
  });
});

describe('the CLI: retries and reset', () => {
  after(cleanUp);
  const plugins = pluginDir([
    { name: 'fail-until', fixture: 'fail-until' },
    { name: 'flaky', fixture: 'crash-while-marked' },
  ]);
  const env = (home: string) => cliEnv(home, { BULKHEAD_PLUGIN_PATH: plugins });

  test('run --attempts N retries a failing job (backing off) until it succeeds', async () => {
    const home = tempHome();
    const counter = join(tempDir('bulkhead-counter-'), 'n');
    const input = JSON.stringify({ counter, failures: 2 });
    const r = await cli(home, ['run', 'fail-until', '--input', input, '--attempts', '3', '--json'], { env: env(home) });
    assert.equal(r.code, 0, r.stderr);
    const job = JSON.parse(r.stdout) as Job;
    assert.equal(job.status, 'completed');
    assert.equal(job.result, 3);
    assert.equal(job.attempts, 3);
    assert.match(JSON.stringify(job.timeline), /next attempt in 250 ms/);
  });

  test("the attempts setting in config.yaml is run's default; without it a job has one attempt", async () => {
    const home = tempHome();
    const counter = join(tempDir('bulkhead-counter-'), 'n');
    const input = JSON.stringify({ counter, failures: 1 });
    const once = await cli(home, ['run', 'fail-until', '--input', input, '--json'], { env: env(home) });
    assert.notEqual(once.code, 0);
    assert.equal((JSON.parse(once.stdout) as Job).maxAttempts, 1);
    writeFileSync(join(home, 'config.yaml'), 'attempts: 2\nretry:\n  backoff: 10ms\n');
    rmSync(counter);
    const twice = await cli(home, ['run', 'fail-until', '--input', input, '--json'], { env: env(home) });
    assert.equal(twice.code, 0, twice.stderr);
    const job = JSON.parse(twice.stdout) as Job;
    assert.deepEqual([job.status, job.maxAttempts, job.attempts], ['completed', 2, 2]);
  });

  test('bulkhead plugins reset NAME closes the circuit in the running host; its held jobs run', async () => {
    const home = tempHome();
    const marker = join(tempDir('bulkhead-marker-'), 'down');
    writeFileSync(marker, '');
    const manager = new PluginManager({
      pluginPaths: [plugins],
      home,
      liveness: { pingIntervalMs: 0 },
      restart: { maxCrashes: 1, cooldownMs: 600_000 },
    });
    await using _m = manager;
    const queue = await JobQueue.open({ manager, durability: 'process' });
    await using _q = queue;
    await queue.start(); // serves the home's control socket
    const opened = new Promise<void>((resolve) => manager.on('crashed', (c) => c.failed && resolve()));
    const first = await queue.submit('flaky', { marker });
    const held = await queue.submit('flaky', { marker });
    await opened;
    assert.equal((await queue.wait(first)).status, 'failed');
    assert.equal((await queue.get(held))?.status, 'pending');
    rmSync(marker);
    const r = await cli(home, ['plugins', 'reset', 'flaky'], { env: env(home) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /flaky: circuit closed/);
    const job = await queue.wait(held);
    assert.deepEqual([job.status, job.attempts], ['completed', 1]);
  });

  test('bulkhead plugins reset with no host running says there is nothing to close', async () => {
    const home = tempHome();
    const r = await cli(home, ['plugins', 'reset', 'flaky'], { env: env(home) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no Bulkhead host runs/);
  });
});
