/**
 * Limits enforced, not only declared (manifest `limits`, manager/worker-limits.ts): a memory
 * limit (a Node worker's heap cap; an RSS watchdog over the worker's group, the mode active on
 * a machine without a writable cgroup v2), and recycling after N calls or RSS growth. Real
 * workers allocating real memory past their limits.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError, PluginManager, type PluginManagerOptions } from 'bulkhead';
import { eventually, fixtureAs, sourceFixture, tempDir } from '../helpers.js';
import { tempHome } from '../manager-helpers.js';
import { pythonSkip, realPython } from '../python-helpers.js';

const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const { runDoctor } = (await import(
  built('./cli/doctor.js')
)) as typeof import('../../packages/host/src/cli/doctor.js');
const { memoryLimitMode, enforcedLimits } = (await import(
  built('./manager/worker-limits.js')
)) as typeof import('../../packages/host/src/manager/worker-limits.js');

/** A search path with one plugin per entry: name → manifest fields over the defaults. */
function plugins(entries: Record<string, object>): string {
  const into = tempDir('bulkhead-limits-');
  for (const [name, fields] of Object.entries(entries)) {
    mkdirSync(join(into, name));
    const manifest = { manifestVersion: 1, name, version: '1.0.0', ...fields };
    writeFileSync(join(into, name, 'bulkhead-plugin.json'), JSON.stringify(manifest));
  }
  return into;
}

const manager = (entries: Record<string, object>, extra: Partial<PluginManagerOptions> = {}) =>
  new PluginManager({
    pluginPaths: [plugins(entries)],
    home: tempHome(),
    liveness: { pingIntervalMs: 0 },
    ...extra,
  });

const isOom = (limitMB: number) => (e: unknown) => {
  assert.ok(isBulkheadError(e, 'ERR_WORKER_OOM'), String(e));
  assert.equal(e.data.limitMB, limitMB);
  assert.ok(e.data.peakMB !== null && e.data.peakMB > limitMB * 0.5, `peak ${e.data.peakMB}`);
  return true;
};

describe('limits.memoryMB', () => {
  test('the mode here is the RSS watchdog, and doctor says so and why', async () => {
    const mode = memoryLimitMode();
    assert.equal(mode.mode, 'watchdog');
    assert.match(mode.detail, /RSS watchdog/);
    assert.match(memoryLimitMode(tempDir('bulkhead-nocgroup-')).detail, /no cgroup v2 hierarchy/);
    const checks = await runDoctor({ home: tempHome(), env: {}, timeoutMs: 5000 });
    const limits = checks.find((c) => c.id === 'limits');
    assert.deepEqual(limits, {
      id: 'limits',
      title: 'Worker limits',
      status: 'ok',
      detail: `memory limits: ${mode.detail}`,
    });
  });

  test('watchdog: a Node worker whose RSS (Buffers, outside the heap) passes the limit is killed, ERR_WORKER_OOM; the next call gets a fresh worker', async () => {
    await using m = manager({ grower: { entry: fixtureAs('grower', 'memory-grower'), limits: { memoryMB: 150 } } });
    await m.load('grower');
    const killed = m.get('grower')?.pid;
    await assert.rejects(m.execute('grower', { megabytes: 600 }), (e) => {
      isOom(150)(e);
      assert.match((e as Error).message, /memory watchdog: its RSS reached \d+ MB, over its limit of 150 MB/);
      assert.ok((e as { data: { peakMB: number } }).data.peakMB > 150);
      return true;
    });
    assert.equal(m.get('grower')?.state, 'crashed');
    assert.match(m.get('grower')?.lastError ?? '', /memory watchdog/);
    // It starts again on next use, a new worker.
    await m.load('grower');
    assert.equal(m.get('grower')?.state, 'ready');
    assert.notEqual(m.get('grower')?.pid, killed);
  });

  test('resources.memoryMB is the limit by default: a worker past its reservation is killed, ERR_WORKER_OOM', async () => {
    await using m = manager({ grower: { entry: fixtureAs('grower', 'memory-grower'), resources: { memoryMB: 150 } } });
    await assert.rejects(m.execute('grower', { megabytes: 600 }), (e) => {
      isOom(150)(e);
      assert.match((e as Error).message, /over its limit of 150 MB \(limits\.memoryMB, else resources\.memoryMB\)/);
      return true;
    });
  });

  test('limits.memoryMB overrides the reservation, and null opts out (a reservation without a limit)', async () => {
    assert.deepEqual(enforcedLimits({ resources: { memoryMB: 150 } }), { memoryMB: 150 });
    assert.deepEqual(enforcedLimits({ resources: { memoryMB: 150 }, limits: { memoryMB: 400 } }), { memoryMB: 400 });
    assert.equal(enforcedLimits({ resources: { memoryMB: 150 }, limits: { memoryMB: null } }), undefined);
    assert.deepEqual(
      enforcedLimits({ resources: { memoryMB: 150 }, limits: { memoryMB: null, recycleAfterCalls: 3 } }),
      {
        recycleAfterCalls: 3,
      },
    );
    assert.equal(enforcedLimits({ resources: { memoryMB: 0 } }), undefined);
    assert.equal(enforcedLimits({}), undefined);
    // A worker of the opted-out plugin holds twice its reservation and keeps answering.
    await using m = manager({
      hog: { entry: fixtureAs('hog', 'memory-hog'), resources: { memoryMB: 150 }, limits: { memoryMB: null } },
      grower: { entry: fixtureAs('grower', 'memory-grower'), resources: { memoryMB: 150 }, limits: { memoryMB: 200 } },
    });
    assert.equal(await m.execute('hog', { megabytes: 300 }), 300);
    const pid = m.get('hog')?.pid;
    assert.equal(await m.execute('hog', { megabytes: 300 }), 300);
    assert.equal(m.get('hog')?.pid, pid);
    await assert.rejects(m.execute('grower', { megabytes: 600 }), isOom(200));
  });

  test('watchdog: a Python worker past its limit is killed the same way', { skip: pythonSkip }, async () => {
    await using m = manager({
      'memory-grower': {
        runtime: 'python',
        python: realPython,
        entry: sourceFixture('python', 'memory_grower.py'),
        limits: { memoryMB: 120 },
      },
    });
    await assert.rejects(m.execute('memory-grower', { megabytes: 600 }), isOom(120));
    assert.equal(m.get('memory-grower')?.state, 'crashed');
  });

  test("heap cap: a Node worker gets --max-old-space-size from it (watchdog off): V8's own OOM, ERR_WORKER_OOM with that limit", async () => {
    await using m = manager(
      { hog: { entry: fixtureAs('hog', 'dies-badly'), limits: { memoryMB: 64 } } },
      { limits: { memory: 'off' } },
    );
    await assert.rejects(m.execute('hog', { how: 'oom' }), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_WORKER_OOM'), String(e));
      assert.equal(e.data.limitMB, 64);
      assert.match(e.message, /heap limit of 64 MB/);
      return true;
    });
  });
});

describe('recycling', () => {
  test('limits.recycleAfterCalls: the worker is replaced, once idle, after N calls', async () => {
    await using m = manager({ echo: { entry: fixtureAs('echo', 'echo'), limits: { recycleAfterCalls: 2 } } });
    const recycled: string[] = [];
    const loads: number[] = [];
    m.on('restarted', (e) => recycled.push(e.reason));
    m.on('loaded', (e) => loads.push(e.pid));
    for (let n = 1; n <= 5; n++)
      assert.deepEqual((await m.execute<{ echo: unknown }>('echo', { x: n })).echo, { x: n });
    // Two workers recycled (after calls 2 and 4), three loaded in all: 1–2, 3–4, 5.
    assert.ok(await eventually(() => recycled.filter((r) => r === 'recycle').length === 2, 30_000), String(recycled));
    assert.equal(loads.length, 3, String(loads));
    assert.equal(new Set(loads).size, 3);
  });

  test('limits.recycleAfterGrowthMB: a worker whose RSS grew past it is replaced once idle', async () => {
    await using m = manager({ hog: { entry: fixtureAs('hog', 'memory-hog'), limits: { recycleAfterGrowthMB: 50 } } });
    const restarted: string[] = [];
    m.on('restarted', (e) => restarted.push(e.reason));
    assert.equal(await m.execute('hog', { megabytes: 5 }), 5);
    const first = m.get('hog')?.pid;
    assert.equal(await m.execute('hog', { megabytes: 200 }), 200);
    assert.ok(await eventually(() => restarted.includes('recycle'), 30_000), 'recycled');
    assert.ok(await eventually(() => m.get('hog')?.pid !== undefined && m.get('hog')?.pid !== first, 30_000));
  });

  test('a limits field of the wrong kind is refused with the manifest', async () => {
    const into = plugins({
      bad: { entry: fixtureAs('bad', 'echo'), limits: { recycleAfterCalls: 0, memoryMB: 'lots' } },
    });
    await using m = new PluginManager({ pluginPaths: [into], home: tempHome(), liveness: { pingIntervalMs: 0 } });
    await assert.rejects(m.execute('bad', {}), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_UNKNOWN_PLUGIN'), String(e));
      assert.match((e as Error).message, /limits/);
      return true;
    });
  });
});
