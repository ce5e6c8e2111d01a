/**
 * Limits enforced, not only declared (manifest `limits`, manager/worker-limits.ts): a memory
 * limit (a Node worker's heap cap; a memory cgroup per worker where the machine has a writable
 * hierarchy, v2 or v1, process/cgroup-memory.ts; else an RSS watchdog over the worker's group),
 * and recycling after N calls, RSS growth or GPU memory that did not come back. Real workers
 * allocating real memory past their limits, in real cgroups where this machine has them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError, PluginManager, type PluginManagerOptions, PluginProcess } from 'bulkhead';
import { eventually, fixture, fixtureAs, repoRoot, sourceFixture, tempDir } from '../helpers.js';
import { tempHome } from '../manager-helpers.js';
import { pythonSkip, realPython } from '../python-helpers.js';

const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const { runDoctor } = (await import(
  built('./cli/doctor.js')
)) as typeof import('../../packages/host/src/cli/doctor.js');
const { memoryLimitMode, enforcedLimits } = (await import(
  built('./manager/worker-limits.js')
)) as typeof import('../../packages/host/src/manager/worker-limits.js');
const { hostCgroupDir, sweepStaleCgroups } = (await import(
  built('./process/cgroup-memory.js')
)) as typeof import('../../packages/host/src/process/cgroup-memory.js');
const { prelaunch, workerSpawnSpec } = (await import(
  built('./process/worker-spawn.js')
)) as typeof import('../../packages/host/src/process/worker-spawn.js');
const { loadHostConfig, managerOptionsOf } = (await import(
  built('./config/host-config.js')
)) as typeof import('../../packages/host/src/config/host-config.js');

/**
 * This machine's cgroups, found here the plain way (not through the code under test): the v1
 * memory cgroup this process sits in when a child can be made in it, whether a v2 hierarchy has
 * the memory controller, and why the cgroup tests skip otherwise.
 */
function machineCgroups(): { v1Own: string | null; v2Memory: boolean; skip: string | false } {
  const self = readFileSync('/proc/self/cgroup', 'utf8');
  const v2Memory = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].some((d) => {
    try {
      return readFileSync(join(d, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory');
    } catch {
      return false;
    }
  });
  const path = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(self)?.[1];
  let v1Own: string | null = null;
  if (path !== undefined) {
    const own = join('/sys/fs/cgroup/memory', path);
    const probe = join(own, `test-probe-${process.pid}`);
    try {
      mkdirSync(probe);
      rmdirSync(probe);
      v1Own = own;
    } catch {}
  }
  const skip = v2Memory
    ? 'this machine has cgroup v2 with the memory controller: these tests drive cgroup v1'
    : v1Own === null
      ? 'no writable cgroup v1 memory hierarchy here (CI may lack one)'
      : false;
  return { v1Own, v2Memory, skip };
}
const here = machineCgroups();
if (here.skip) console.log(`skipping the cgroup tests: ${here.skip}`);

/** The memory cgroup directory of a live process (v1), from its /proc/<pid>/cgroup. */
function memoryCgroupOf(pid: number): string {
  const path = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
  assert.ok(path !== undefined);
  return join('/sys/fs/cgroup/memory', path);
}

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
  test('the mode here: cgroup v1 where its memory hierarchy is writable, else the watchdog; doctor says which and why', async () => {
    const mode = memoryLimitMode();
    if (here.v2Memory) assert.equal(mode.mode, 'cgroup-v2');
    else if (here.v1Own !== null) {
      assert.equal(mode.mode, 'cgroup-v1');
      assert.equal(mode.hierarchy?.own, here.v1Own);
      assert.match(mode.detail, /^cgroup v1: a memory cgroup per worker \(memory\.limit_in_bytes\)/);
    } else assert.equal(mode.mode, 'watchdog');
    const checks = await runDoctor({ home: tempHome(), env: {}, timeoutMs: 5000 });
    const limits = checks.find((c) => c.id === 'limits');
    assert.deepEqual(limits, {
      id: 'limits',
      title: 'Worker limits',
      status: 'ok',
      detail: `memory limits: ${mode.detail}`,
    });
  });

  test('mode selection: a machine without cgroups falls back to the watchdog, saying why; named modes', () => {
    const none = tempDir('bulkhead-nocgroup-');
    writeFileSync(join(none, 'self'), '0::/\n4:memory:/x\n');
    const fallback = memoryLimitMode('auto', { root: none, selfCgroup: join(none, 'self') });
    assert.equal(fallback.mode, 'watchdog');
    assert.match(fallback.detail, /RSS watchdog \(no cgroup v2 hierarchy at .*; no cgroup v1 memory hierarchy at /);
    assert.equal(memoryLimitMode('watchdog').mode, 'watchdog');
    assert.equal(memoryLimitMode('off').mode, 'off');
    // A cgroup mode asked for by name that the machine cannot give: refused, with the reason.
    assert.throws(
      () => memoryLimitMode('cgroup-v1', { root: none, selfCgroup: join(none, 'self') }),
      (e) => {
        assert.ok(isBulkheadError(e, 'ERR_INVALID_ARGUMENT'), String(e));
        assert.match(e.message, /limits\.memory is cgroup-v1, but this machine cannot give it: no cgroup v1 memory/);
        return true;
      },
    );
  });

  test('the host setting limits.memory overrides the mode: config file, variable, doctor', async () => {
    const home = tempHome();
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config.yaml'), 'limits:\n  memory: watchdog\n');
    assert.deepEqual(managerOptionsOf(await loadHostConfig(home, {})).limits, { memory: 'watchdog' });
    assert.deepEqual(managerOptionsOf(await loadHostConfig(home, { BULKHEAD_MEMORY_LIMITS: 'off' })).limits, {
      memory: 'off',
    });
    assert.deepEqual(managerOptionsOf(await loadHostConfig(tempHome(), {})).limits, { memory: 'auto' });
    await assert.rejects(loadHostConfig(home, { BULKHEAD_MEMORY_LIMITS: 'cgroups' }), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_HOST_CONFIG_INVALID'), String(e));
      assert.match(e.message, /BULKHEAD_MEMORY_LIMITS \(limits\.memory\) must be one of/);
      return true;
    });
    const doctor = async (env: NodeJS.ProcessEnv) =>
      (await runDoctor({ home, env, timeoutMs: 5000 })).find((c) => c.id === 'limits');
    assert.match((await doctor({}))?.detail ?? '', /^memory limits: RSS watchdog \(limits\.memory is watchdog\)/);
    if (!here.v2Memory) {
      const refused = await doctor({ BULKHEAD_MEMORY_LIMITS: 'cgroup-v2' });
      assert.equal(refused?.status, 'fail');
      assert.match(refused?.detail ?? '', /limits\.memory is cgroup-v2, but this machine cannot give it/);
    }
  });

  test('a cgroup mode this machine cannot give fails the start of a limited worker, with the reason', {
    skip: here.v2Memory && 'cgroup v2 is here',
  }, async () => {
    await using m = manager(
      { grower: { entry: fixtureAs('grower', 'memory-grower'), limits: { memoryMB: 150 } } },
      { limits: { memory: 'cgroup-v2' } },
    );
    await assert.rejects(m.load('grower'), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_INVALID_ARGUMENT'), String(e));
      assert.match(e.message, /limits\.memory is cgroup-v2, but this machine cannot give it/);
      return true;
    });
  });

  test('watchdog: a Node worker whose RSS (Buffers, outside the heap) passes the limit is killed, ERR_WORKER_OOM; the next call gets a fresh worker', async () => {
    await using m = manager(
      { grower: { entry: fixtureAs('grower', 'memory-grower'), limits: { memoryMB: 150 } } },
      { limits: { memory: 'watchdog' } },
    );
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
    await using m = manager(
      { grower: { entry: fixtureAs('grower', 'memory-grower'), resources: { memoryMB: 150 } } },
      { limits: { memory: 'watchdog' } },
    );
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
    await using m = manager(
      {
        'memory-grower': {
          runtime: 'python',
          python: realPython,
          entry: sourceFixture('python', 'memory_grower.py'),
          limits: { memoryMB: 120 },
        },
      },
      { limits: { memory: 'watchdog' } },
    );
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

describe('limits.memoryMB in a memory cgroup (v1, the mode of this machine)', { skip: here.skip }, () => {
  const own = here.v1Own as string;
  const hostDir = () => join(own, `bulkhead-${process.pid}`);
  const isKernelOom = (limitMB: number) => (e: unknown) => {
    assert.ok(isBulkheadError(e, 'ERR_WORKER_OOM'), String(e));
    assert.match(
      e.message,
      new RegExp(
        `killed by the kernel at its memory limit of ${limitMB} MB \\(limits\\.memoryMB, cgroup v1, peak \\d+ MB\\)`,
      ),
    );
    assert.equal(e.data.limitMB, limitMB);
    assert.equal(e.data.signal, 'SIGKILL');
    // The peak is the cgroup's own count: the limit, reached.
    assert.ok(
      e.data.peakMB !== null && e.data.peakMB >= limitMB - 1 && e.data.peakMB <= limitMB,
      `peak ${e.data.peakMB}`,
    );
    return true;
  };

  test("a Node worker gets a cgroup of its own under the host's, with the limit; past it the kernel kills it: ERR_WORKER_OOM (limit, peak); the cgroup is removed", async () => {
    {
      await using m = manager({ grower: { entry: fixtureAs('grower', 'memory-grower'), limits: { memoryMB: 150 } } });
      await m.load('grower');
      const pid = m.get('grower')?.pid as number;
      // In its cgroup from its first instruction: the wrapper joined it before exec.
      const dir = memoryCgroupOf(pid);
      assert.match(dir, new RegExp(`^${own}/bulkhead-${process.pid}/grower-\\d+$`));
      assert.equal(readFileSync(join(dir, 'memory.limit_in_bytes'), 'utf8').trim(), String(150 * 2 ** 20));
      assert.ok(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)));
      await assert.rejects(m.execute('grower', { megabytes: 600 }), isKernelOom(150));
      assert.equal(m.get('grower')?.state, 'crashed');
      assert.match(m.get('grower')?.lastError ?? '', /killed by the kernel/);
      assert.ok(await eventually(() => !existsSync(dir)), `${dir} removed`);
      // The next call gets a fresh worker in a fresh cgroup.
      await m.load('grower');
      const again = memoryCgroupOf(m.get('grower')?.pid as number);
      assert.notEqual(again, dir);
    }
    // Closed: nothing of this host is left in the hierarchy.
    assert.ok(await eventually(() => !existsSync(hostDir())), `${hostDir()} removed`);
  });

  test('a Python worker gets the same cgroup and the same ERR_WORKER_OOM', { skip: pythonSkip }, async () => {
    {
      await using m = manager({
        'memory-grower': {
          runtime: 'python',
          python: realPython,
          entry: sourceFixture('python', 'memory_grower.py'),
          limits: { memoryMB: 120 },
        },
      });
      await m.load('memory-grower');
      const dir = memoryCgroupOf(m.get('memory-grower')?.pid as number);
      assert.match(dir, new RegExp(`/bulkhead-${process.pid}/memory-grower-\\d+$`));
      await assert.rejects(m.execute('memory-grower', { megabytes: 600 }), isKernelOom(120));
      assert.equal(m.get('memory-grower')?.state, 'crashed');
    }
    assert.ok(await eventually(() => !existsSync(hostDir())), `${hostDir()} removed`);
  });

  test('a worker stopped normally leaves no cgroup; one without memoryMB gets none', async () => {
    {
      await using m = manager({
        limited: { entry: fixtureAs('limited', 'echo'), limits: { memoryMB: 200 } },
        free: { entry: fixtureAs('free', 'echo') },
      });
      await m.load('limited');
      await m.load('free');
      const dir = memoryCgroupOf(m.get('limited')?.pid as number);
      assert.ok(existsSync(dir));
      assert.equal(memoryCgroupOf(m.get('free')?.pid as number), own);
      await m.unload('limited');
      assert.ok(await eventually(() => !existsSync(dir)), `${dir} removed`);
    }
    assert.ok(await eventually(() => !existsSync(hostDir())), `${hostDir()} removed`);
  });

  test('a prelaunched worker adopted by a limited start is moved into its cgroup', async () => {
    const hierarchy = memoryLimitMode().hierarchy;
    assert.ok(hierarchy);
    const early = prelaunch(workerSpawnSpec({ plugin: fixture('echo'), maxFrameBytes: 256 * 2 ** 20 }));
    const earlyPid = early.pid;
    assert.ok(earlyPid);
    // Spawned outside any worker cgroup: in the host's own.
    assert.equal(memoryCgroupOf(earlyPid), own);
    {
      await using p = await PluginProcess.start({
        plugin: fixture('echo'),
        prelaunched: early,
        memoryCgroup: { hierarchy, limitMB: 300, name: 'echo' },
      });
      assert.equal(p.pid, earlyPid);
      const dir = memoryCgroupOf(p.pid as number);
      assert.match(dir, new RegExp(`/bulkhead-${process.pid}/echo-\\d+$`));
      assert.equal(readFileSync(join(dir, 'memory.limit_in_bytes'), 'utf8').trim(), String(300 * 2 ** 20));
      assert.deepEqual(((await p.execute({ x: 1 })) as { echo: unknown }).echo, { x: 1 });
    }
    assert.ok(await eventually(() => !existsSync(hostDir())), `${hostDir()} removed`);
  });

  test('a limited worker whose executable is missing is ERR_SPAWN, as without a cgroup, and leaves no cgroup', async () => {
    const hierarchy = memoryLimitMode().hierarchy;
    assert.ok(hierarchy);
    await assert.rejects(
      PluginProcess.start({
        plugin: fixture('echo'),
        nodePath: '/nonexistent/node',
        memoryCgroup: { hierarchy, limitMB: 100, name: 'echo' },
      }),
      (e) => {
        assert.ok(isBulkheadError(e, 'ERR_SPAWN'), String(e));
        assert.match(e.message, /\/nonexistent\/node.*ENOENT/);
        return true;
      },
    );
    assert.ok(!existsSync(hostDir()), `${hostDir()} removed`);
  });

  test("the cgroups a dead host left are swept; a live host's are not", () => {
    // A pid that is gone: a process that ran and was reaped.
    const dead = spawnSync('true').pid as number;
    const stale = join(own, `bulkhead-${dead}`);
    mkdirSync(join(stale, 'echo-1'), { recursive: true });
    mkdirSync(join(stale, 'echo-2'));
    const liveHost = join(own, `bulkhead-${process.ppid}`);
    const hadLive = existsSync(liveHost);
    mkdirSync(join(liveHost, 'echo-1'), { recursive: true });
    try {
      const removed = sweepStaleCgroups({ version: 1, own });
      assert.deepEqual(removed.sort(), [stale, join(stale, 'echo-1'), join(stale, 'echo-2')].sort());
      assert.ok(!existsSync(stale));
      assert.ok(existsSync(join(liveHost, 'echo-1')));
    } finally {
      rmdirSync(join(liveHost, 'echo-1'));
      if (!hadLive) rmdirSync(liveHost);
    }
    assert.equal(hostCgroupDir({ version: 1, own }), hostDir());
    assert.ok(!readdirSync(own).some((d) => d === `bulkhead-${dead}`));
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

describe('limits.recycleAfterGpuLeakMB (GPU memory from real H100 captures)', () => {
  // Copied from ../shared/fixtures/nvidia-smi, as resources-gpu.test.ts reads them.
  const capture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'nvidia-smi', name), 'utf8');
  const APPS_QUERY =
    'nvidia-smi --query-compute-apps=pid,process_name,used_memory,gpu_uuid --format=csv,noheader,nounits';
  const GPU_QUERY =
    'nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,temperature.gpu,power.draw --format=csv,noheader,nounits';

  /**
   * nvidia-smi as the manager's command runner: the idle capture, or the busy one (python3, pid
   * 445, 6242 MiB) with its pid made the worker's, as if the worker held that memory.
   */
  function gpu() {
    const state = { holder: (): number | null | undefined => null, appsQueries: 0 };
    const run: NonNullable<PluginManagerOptions['runCommand']> = async (file, args) => {
      const line = [file, ...args].join(' ');
      if (line === GPU_QUERY) return { stdout: capture('query-gpu.csv'), stderr: '', exitCode: 0 };
      assert.equal(line, APPS_QUERY);
      state.appsQueries++;
      const holder = state.holder();
      const stdout =
        holder === null || holder === undefined
          ? capture('query-apps.csv')
          : capture('query-apps-busy.csv').replace(/^445,/m, `${holder},`);
      return { stdout, stderr: '', exitCode: 0 };
    };
    return { state, run };
  }
  /** Every promise reaction queued so far has run (nvidia-smi answered, the verdict is in). */
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  test('a worker whose GPU memory did not come back after a call is replaced once idle; one whose memory came back is kept', async () => {
    const fake = gpu();
    await using m = manager(
      { gpuplugin: { entry: fixtureAs('gpuplugin', 'echo'), limits: { recycleAfterGpuLeakMB: 1000 } } },
      { runCommand: fake.run },
    );
    const notes: string[] = [];
    const unloaded: string[] = [];
    m.on('log', (e) => e.source === 'host' && notes.push(e.message));
    m.on('unloaded', (e) => unloaded.push(e.reason));
    await m.load('gpuplugin');
    const first = m.get('gpuplugin')?.pid as number;
    // The baseline, before any call: nothing held.
    assert.ok(await eventually(() => fake.state.appsQueries === 1));
    // A call whose GPU memory came back: after it, the worker holds none again. Kept.
    await m.execute('gpuplugin', { x: 1 });
    assert.ok(await eventually(() => fake.state.appsQueries === 2));
    await settled();
    assert.deepEqual(unloaded, []);
    assert.equal(m.get('gpuplugin')?.pid, first);
    // A call after which the worker holds 6242 MiB (the busy capture): past 1000 MB, recycled.
    const restarted = new Promise<string>((resolve) => m.once('restarted', (e) => resolve(e.reason)));
    fake.state.holder = () => first;
    await m.execute('gpuplugin', { x: 2 });
    assert.equal(await restarted, 'recycle');
    assert.deepEqual(unloaded, ['recycle']);
    assert.notEqual(m.get('gpuplugin')?.pid, first);
    assert.ok(
      notes.some((n) =>
        /recycling the worker: its GPU memory did not come back after calls: 6242 MB held, 0 MB when it loaded \(limits\.recycleAfterGpuLeakMB 1000\)/.test(
          n,
        ),
      ),
      notes.join('\n'),
    );
  });

  test('GPU memory held from the start (a model loaded at initialize) is the baseline, not a leak', async () => {
    const fake = gpu();
    await using m = manager(
      { model: { entry: fixtureAs('model', 'echo'), limits: { recycleAfterGpuLeakMB: 1000 } } },
      { runCommand: fake.run },
    );
    const unloaded: string[] = [];
    m.on('unloaded', (e) => unloaded.push(e.reason));
    // Whichever worker is loaded holds 6242 MiB, from the first query on.
    fake.state.holder = () => m.get('model')?.pid;
    await m.load('model');
    const held = m.get('model')?.pid;
    for (let n = 1; n <= 3; n++) {
      await m.execute('model', { n });
      assert.ok(await eventually(() => fake.state.appsQueries >= n + 1));
      await settled();
    }
    assert.deepEqual(unloaded, []);
    assert.equal(m.get('model')?.pid, held);
  });

  test('recycleAfterGpuLeakMB must be a positive number', async () => {
    const into = plugins({ bad: { entry: fixtureAs('bad', 'echo'), limits: { recycleAfterGpuLeakMB: 0 } } });
    await using m = new PluginManager({ pluginPaths: [into], home: tempHome(), liveness: { pingIntervalMs: 0 } });
    await assert.rejects(m.execute('bad', {}), (e) => {
      assert.ok(isBulkheadError(e, 'ERR_UNKNOWN_PLUGIN'), String(e));
      assert.match((e as Error).message, /recycleAfterGpuLeakMB/);
      return true;
    });
  });
});
