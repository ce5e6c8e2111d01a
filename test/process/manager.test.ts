import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type CommandRunner, isBulkheadError, type LogEntry, PluginManager, type PluginManagerEvents } from 'bulkhead';
import { eventually, isRunning, repoRoot } from '../helpers.js';
import { ECHO_SCHEMA, pluginDir, RESTART_CONFIG_SCHEMA, tempHome } from '../manager-helpers.js';

const quiet = { liveness: { pingIntervalMs: 0 } };

describe('PluginManager: lifecycle', () => {
  test('lazy load on first execute; list shows state, version, category, config; unload', async () => {
    const dir = pluginDir([
      { name: 'echo', fixture: 'echo', category: 'text', configSchema: ECHO_SCHEMA },
      { name: 'noop', fixture: 'noop' },
    ]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    const found = await m.discover();
    assert.deepEqual(
      found.plugins.map((p) => p.manifest.name),
      ['echo', 'noop'],
    );
    assert.deepEqual(Object.keys(found.byCategory).sort(), ['general', 'text']);
    assert.equal(m.get('echo')?.state, 'discovered');
    const result = await m.execute<{ prefix: string }>('echo', { x: 1 });
    assert.equal(result.prefix, '>');
    const echo = m.get('echo');
    assert.equal(echo?.state, 'ready');
    assert.equal(echo?.category, 'text');
    assert.equal(typeof echo?.pid, 'number');
    assert.ok((echo?.lastUsed ?? 0) > 0);
    assert.deepEqual(echo?.config, { prefix: '>', repeat: 1 });
    assert.equal(m.get('noop')?.state, 'discovered', 'noop was never used, so never started');
    const pid = echo?.pid as number;
    await m.unload('echo');
    assert.equal(m.get('echo')?.state, 'discovered');
    assert.ok(!isRunning(pid));
  });

  test('stream refuses input that breaks the manifest inputSchema before any worker starts', async () => {
    const inputSchema = { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] };
    const dir = pluginDir([{ name: 'typed', fixture: 'echo', inputSchema }]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    const drain = async (input: unknown) => {
      const items: unknown[] = [];
      for await (const item of m.stream('typed', input)) items.push(item);
      return items;
    };
    await assert.rejects(
      drain({ count: 'three' }),
      (e) =>
        isBulkheadError(e, 'ERR_INPUT_INVALID') &&
        /count: must be integer/.test(e.message) &&
        e.data.issues.some((i) => i.path === 'count'),
    );
    await assert.rejects(drain({}), (e) => isBulkheadError(e, 'ERR_INPUT_INVALID') && /count/.test(e.message));
    assert.equal(m.get('typed')?.state, 'discovered', 'no worker was started for bad input');
    assert.equal((await drain({ count: 2 })).length, 2);
  });

  test('busy while a call runs; events for loaded, progress, unloaded', async () => {
    const dir = pluginDir([{ name: 'slow', fixture: 'slow' }]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    const events: string[] = [];
    const progress: PluginManagerEvents['progress'][0][] = [];
    m.on('loaded', (e) => events.push(`loaded:${e.name}`));
    m.on('unloaded', (e) => events.push(`unloaded:${e.name}:${e.reason}`));
    m.on('progress', (p) => progress.push(p));
    m.on('state', (s) => events.push(`${s.previous}->${s.state}`));
    const call = m.execute('slow', { steps: 3, stepMs: 30 });
    assert.ok(await eventually(() => m.get('slow')?.state === 'busy'));
    assert.equal(await call, 'done');
    assert.equal(m.get('slow')?.state, 'ready');
    await m.unload('slow');
    assert.deepEqual(events, [
      'discovered->loading',
      'loading->ready',
      'loaded:slow',
      'ready->busy',
      'busy->ready',
      'ready->discovered',
      'unloaded:slow:requested',
    ]);
    assert.deepEqual(
      progress.map((p) => [p.name, p.fraction]),
      [
        ['slow', 1 / 3],
        ['slow', 2 / 3],
        ['slow', 1],
      ],
    );
  });

  test('stream through the manager; breaking out cancels it', async () => {
    const dir = pluginDir([{ name: 'echo', fixture: 'echo' }]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    const got: number[] = [];
    for await (const c of m.stream<{ i: number }>('echo', { count: 100 })) {
      got.push(c.i);
      if (got.length === 10) break;
    }
    assert.equal(got.length, 10);
    assert.equal(m.get('echo')?.state, 'ready');
  });

  test('the home option is searched too: <home>/plugins', async () => {
    const home = tempHome();
    pluginDir([{ name: 'echo', fixture: 'echo' }], join(home, 'plugins'));
    await using m = new PluginManager({ home, env: {}, ...quiet });
    assert.ok(m.searchPaths.includes(join(home, 'plugins')));
    assert.deepEqual(
      (await m.discover()).plugins.map((p) => p.manifest.name),
      ['echo'],
    );
  });

  test('unknown plugin, and close(): coded errors', async () => {
    const dir = pluginDir([{ name: 'echo', fixture: 'echo' }]);
    const m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    await assert.rejects(
      m.execute('ech', {}),
      (e) => isBulkheadError(e, 'ERR_UNKNOWN_PLUGIN') && /did you mean "echo"/.test(e.message),
    );
    await m.execute('echo', {});
    const pid = m.get('echo')?.pid as number;
    await m.close();
    await m.close();
    assert.ok(!isRunning(pid));
    await assert.rejects(m.execute('echo', {}), { code: 'ERR_MANAGER_CLOSED' });
  });

  test('enable/disable is persisted across a new manager; a disabled plugin cannot load or run', async () => {
    const dir = pluginDir([{ name: 'echo', fixture: 'echo' }]);
    const home = tempHome();
    {
      await using m = new PluginManager({ pluginPaths: [dir], home, ...quiet });
      await m.execute('echo', {});
      await m.disable('echo');
      assert.equal(m.get('echo')?.state, 'disabled');
      assert.equal(m.get('echo')?.pid, null);
      await assert.rejects(m.execute('echo', {}), { code: 'ERR_PLUGIN_DISABLED' });
    }
    {
      await using m = new PluginManager({ pluginPaths: [dir], home, ...quiet });
      await m.discover();
      assert.equal(m.get('echo')?.state, 'disabled');
      assert.equal(m.get('echo')?.enabled, false);
      await assert.rejects(m.load('echo'), { code: 'ERR_PLUGIN_DISABLED' });
      await m.enable('echo');
    }
    {
      await using m = new PluginManager({ pluginPaths: [dir], home, ...quiet });
      assert.deepEqual(await m.execute('echo', { x: 2 }), { echo: { x: 2 }, prefix: '>', repeat: 1 });
    }
  });

  test('reload restarts the worker with a new pid', async () => {
    const dir = pluginDir([{ name: 'echo', fixture: 'echo' }]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    await m.load('echo');
    const first = m.get('echo')?.pid;
    const restarted: unknown[] = [];
    m.on('restarted', (e) => restarted.push(e));
    await m.reload('echo');
    assert.notEqual(m.get('echo')?.pid, first);
    assert.equal(restarted.length, 1);
    assert.ok(!isRunning(first as number));
  });

  test('20 plugins loaded at once and unloaded leave no process behind', async () => {
    const dir = pluginDir(
      Array.from({ length: 20 }, (_, i) => ({ name: `p${String(i).padStart(2, '0')}`, fixture: 'noop' })),
    );
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    const loaded = await m.loadAll();
    assert.equal(loaded.length, 20);
    const pids = m.list().map((p) => p.pid as number);
    assert.equal(new Set(pids).size, 20);
    assert.ok(pids.every(isRunning));
    const answers = await Promise.all(m.list().map((p) => m.execute(p.name, p.name)));
    assert.deepEqual(
      answers,
      m.list().map((p) => p.name),
    );
    await m.unloadAll();
    assert.ok(m.list().every((p) => p.state === 'discovered' && p.pid === null));
    assert.ok(await eventually(() => pids.every((pid) => !isRunning(pid))));
  });
});

describe('PluginManager: config', () => {
  test('hot update through configure; invalid update rejected with every field, old config kept; persisted', async () => {
    const dir = pluginDir([{ name: 'echo', fixture: 'echo', configSchema: ECHO_SCHEMA }]);
    const home = tempHome();
    {
      await using m = new PluginManager({ pluginPaths: [dir], home, ...quiet });
      await m.load('echo');
      const pid = m.get('echo')?.pid;
      const changes: unknown[] = [];
      m.on('config-changed', (c) => changes.push(c));
      assert.deepEqual(await m.updateConfig('echo', { prefix: '#' }), {
        config: { prefix: '#', repeat: 1 },
        applied: 'hot',
      });
      assert.equal(m.get('echo')?.pid, pid, 'applied without a restart');
      assert.equal((await m.execute<{ prefix: string }>('echo', {})).prefix, '#');
      await assert.rejects(m.updateConfig('echo', { prefix: 5, repeat: 0, colour: 'red' }), (e) => {
        assert.ok(isBulkheadError(e, 'ERR_CONFIG_INVALID'));
        const paths = e.data.issues.map((i) => i.path).sort();
        assert.deepEqual(paths, ['colour', 'prefix', 'repeat']);
        return true;
      });
      assert.deepEqual(m.getConfig('echo'), { prefix: '#', repeat: 1 });
      assert.equal((await m.execute<{ prefix: string }>('echo', {})).prefix, '#');
      assert.equal(changes.length, 1);
      assert.deepEqual(m.getConfigSchema('echo'), ECHO_SCHEMA);
    }
    {
      await using m = new PluginManager({ pluginPaths: [dir], home, ...quiet });
      assert.equal((await m.execute<{ prefix: string }>('echo', {})).prefix, '#', 'config survived a new manager');
    }
  });

  test('concurrent config updates are applied one after the other; none is lost', async () => {
    const dir = pluginDir([{ name: 'echo', fixture: 'echo', configSchema: ECHO_SCHEMA }]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    await m.load('echo');
    await Promise.all([m.updateConfig('echo', { prefix: 'A' }), m.updateConfig('echo', { repeat: 3 })]);
    assert.deepEqual(m.getConfig('echo'), { prefix: 'A', repeat: 3 });
    assert.deepEqual(await m.execute('echo', {}), { echo: {}, prefix: 'A', repeat: 3 });
  });

  test('a plugin without configure gets its config by a restart once idle', async () => {
    const dir = pluginDir([{ name: 'rc', fixture: 'restart-config', configSchema: RESTART_CONFIG_SCHEMA }]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    const before = await m.execute<{ mode: string; pid: number }>('rc', {});
    assert.equal(before.mode, 'fast');
    const update = await m.updateConfig('rc', { mode: 'accurate' });
    assert.equal(update.applied, 'restart');
    const after = await m.execute<{ mode: string; pid: number }>('rc', {});
    assert.equal(after.mode, 'accurate');
    assert.notEqual(after.pid, before.pid);
    await assert.rejects(m.updateConfig('rc', { mode: 'sloppy' }), { code: 'ERR_CONFIG_INVALID' });
  });

  test('config of a plugin that is not loaded is validated and stored for its next start', async () => {
    const dir = pluginDir([{ name: 'echo', fixture: 'echo', configSchema: ECHO_SCHEMA, config: { repeat: 2 } }]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    await m.discover();
    assert.deepEqual(m.getConfig('echo'), { prefix: '>', repeat: 2 }, 'schema defaults under manifest config');
    assert.equal((await m.updateConfig('echo', { prefix: '!' })).applied, 'stored');
    assert.deepEqual(await m.execute('echo', {}), { echo: {}, prefix: '!', repeat: 2 });
  });
});

describe('PluginManager: crashes and liveness', () => {
  test('crash → restart on next use with backoff → circuit breaker opens → reset', async () => {
    const dir = pluginDir([{ name: 'crash', fixture: 'crash' }]);
    await using m = new PluginManager({
      pluginPaths: [dir],
      home: tempHome(),
      restart: { maxCrashes: 3, windowMs: 60_000, backoffInitialMs: 20 },
      ...quiet,
    });
    const crashes: PluginManagerEvents['crashed'][0][] = [];
    m.on('crashed', (c) => crashes.push(c));
    for (let i = 1; i <= 3; i++) {
      await assert.rejects(m.execute('crash', { how: 'exit' }), { code: 'ERR_WORKER_EXITED' });
      assert.ok(await eventually(() => crashes.length === i));
    }
    assert.deepEqual(
      crashes.map((c) => [c.exitCode, c.crashes, c.failed]),
      [
        [7, 1, false],
        [7, 2, false],
        [7, 3, true],
      ],
    );
    assert.ok(crashes[0]?.stderrTail.includes('about to crash: out of cheese'));
    const summary = m.get('crash');
    assert.equal(summary?.state, 'failed');
    assert.match(summary?.lastError ?? '', /code 7/);
    assert.ok(summary?.stderrTail?.includes('about to crash: out of cheese'));
    await assert.rejects(
      m.execute('crash', { how: 'none' }),
      (e) =>
        isBulkheadError(e, 'ERR_PLUGIN_CIRCUIT_OPEN') && e.data.crashes === 3 && (e.data.stderrTail ?? []).length > 0,
    );
    await m.reset('crash');
    assert.equal(typeof (await m.execute('crash', { how: 'none' })), 'number');
  });

  test('the crash window and backoff read the injected clock: crashes a window apart never open the circuit', async () => {
    const dir = pluginDir([{ name: 'crash', fixture: 'crash' }]);
    let now = 1_000_000;
    await using m = new PluginManager({
      pluginPaths: [dir],
      home: tempHome(),
      // A backoff no test would wait out: only the clock moving past it lets the restarts happen.
      restart: { maxCrashes: 2, windowMs: 60_000, backoffInitialMs: 30_000, backoffMaxMs: 30_000 },
      now: () => now,
      ...quiet,
    });
    const crashes: PluginManagerEvents['crashed'][0][] = [];
    m.on('crashed', (c) => crashes.push(c));
    for (let i = 1; i <= 3; i++) {
      await assert.rejects(m.execute('crash', { how: 'exit' }), { code: 'ERR_WORKER_EXITED' });
      assert.ok(await eventually(() => crashes.length === i));
      now += 60_000; // past the window, and past the backoff
    }
    assert.deepEqual(
      crashes.map((c) => [c.crashes, c.failed]),
      [
        [1, false],
        [1, false],
        [1, false],
      ],
    );
    // Past the backoff but within the window: the second crash in it opens the circuit.
    now -= 30_000;
    await assert.rejects(m.execute('crash', { how: 'exit' }), { code: 'ERR_WORKER_EXITED' });
    assert.ok(await eventually(() => crashes.length === 4));
    assert.deepEqual(crashes.at(-1) && [crashes.at(-1)?.crashes, crashes.at(-1)?.failed], [2, true]);
    assert.equal(m.get('crash')?.state, 'failed');
  });

  test('eager restart policy brings a crashed plugin back by itself', async () => {
    const dir = pluginDir([{ name: 'crash', fixture: 'crash' }]);
    await using m = new PluginManager({
      pluginPaths: [dir],
      home: tempHome(),
      restart: { mode: 'eager', backoffInitialMs: 10 },
      ...quiet,
    });
    const restarted: PluginManagerEvents['restarted'][0][] = [];
    m.on('restarted', (r) => restarted.push(r));
    await m.load('crash');
    const first = m.get('crash')?.pid;
    await assert.rejects(m.execute('crash', { how: 'sigkill' }));
    assert.ok(await eventually(() => restarted.length === 1 && m.get('crash')?.state === 'ready'));
    assert.equal(restarted[0]?.reason, 'crash');
    assert.notEqual(m.get('crash')?.pid, first);
  });

  test('a worker that stops answering pings is reported unresponsive and restarted', async () => {
    const dir = pluginDir([{ name: 'freeze', fixture: 'freeze' }]);
    await using m = new PluginManager({
      pluginPaths: [dir],
      home: tempHome(),
      liveness: { pingIntervalMs: 50, pingTimeoutMs: 150, onUnresponsive: 'restart' },
    });
    const seen: string[] = [];
    m.on('unresponsive', (u) => seen.push(u.reason));
    m.on('restarted', (r) => seen.push(`restarted:${r.reason}`));
    const frozenPid = await m.execute<number>('freeze', { freeze: true });
    assert.ok(await eventually(() => seen.includes('restarted:unresponsive')), seen.join(', '));
    assert.match(seen[0] ?? '', /no answer to a ping within 150 ms/);
    assert.ok(await eventually(() => !isRunning(frozenPid)));
    assert.notEqual(await m.execute<number>('freeze', { freeze: false }), frozenPid);
  });

  test('with onUnresponsive "report", the state says unresponsive and the worker is left alone', async () => {
    const dir = pluginDir([{ name: 'freeze', fixture: 'freeze' }]);
    await using m = new PluginManager({
      pluginPaths: [dir],
      home: tempHome(),
      liveness: { pingIntervalMs: 50, pingTimeoutMs: 100, onUnresponsive: 'report' },
    });
    const pid = await m.execute<number>('freeze', { freeze: true });
    assert.ok(await eventually(() => m.get('freeze')?.state === 'unresponsive'));
    assert.ok(isRunning(pid));
  });
});

describe('PluginManager: eviction', () => {
  test('idle eviction unloads plugins unused for the configured time, never a busy one', async () => {
    const dir = pluginDir([
      { name: 'a', fixture: 'noop' },
      { name: 'slow', fixture: 'slow' },
    ]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), idleTimeoutMs: 150, ...quiet });
    const evicted: string[] = [];
    m.on('unloaded', (u) => evicted.push(`${u.name}:${u.reason}`));
    await m.execute('a', 1);
    const long = m.execute('slow', { steps: 10, stepMs: 60 });
    // Its outcome is checked below; a failed assertion before that must not leave it unhandled.
    long.catch(() => {});
    // On a loaded machine the slow worker may still be starting when `a` goes idle.
    assert.ok(await eventually(() => m.get('slow')?.state === 'busy'), 'slow never became busy');
    assert.ok(await eventually(() => evicted.includes('a:idle')));
    assert.ok(!evicted.includes('slow:idle'));
    assert.equal(await long, 'done');
  });

  test('a load over the memory budget evicts least recently used idle plugins first', async () => {
    const dir = pluginDir([
      { name: 'old', fixture: 'noop', resources: { memoryMB: 400, gpuMemoryMB: 4000 } },
      { name: 'mid', fixture: 'noop', resources: { memoryMB: 400, gpuMemoryMB: 4000 } },
      { name: 'new', fixture: 'noop', resources: { memoryMB: 400 } },
      { name: 'big', fixture: 'noop', resources: { memoryMB: 400, gpuMemoryMB: 6000 } },
      { name: 'huge', fixture: 'noop', resources: { gpuMemoryMB: 20_000 } },
    ]);
    await using m = new PluginManager({
      pluginPaths: [dir],
      home: tempHome(),
      budget: { memoryMB: 1300, gpuMemoryMB: 10_000 },
      ...quiet,
    });
    for (const name of ['old', 'mid', 'new']) {
      await m.execute(name, name); // each start takes far longer than a millisecond: distinct lastUsed
    }
    const evicted: string[] = [];
    m.on('unloaded', (u) => evicted.push(`${u.name}:${u.reason}`));
    // big needs 6000 MB of GPU memory: 8000 of 10000 are taken by old and mid. Evicting "old"
    // (least recently used, and it holds GPU memory) frees enough; "new" holds none, so stays.
    await m.load('big');
    assert.deepEqual(evicted, ['old:budget']);
    assert.deepEqual(
      m
        .list()
        .filter((p) => p.pid !== null)
        .map((p) => p.name)
        .sort(),
      ['big', 'mid', 'new'],
    );
    await assert.rejects(
      m.load('huge'),
      (e) => isBulkheadError(e, 'ERR_INSUFFICIENT_RESOURCES') && e.data.resource === 'gpuMemoryMB',
    );
  });
});

describe('PluginManager: telemetry, system monitor and logs', () => {
  test('telemetry: a plugin holding 200 MB shows it, with pid, cpu and call counts', async () => {
    const dir = pluginDir([{ name: 'hog', fixture: 'memory-hog' }]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), ...quiet });
    assert.equal(await m.execute('hog', { megabytes: 200 }), 200);
    const t = await m.telemetry('hog');
    assert.equal(t.pid, m.get('hog')?.pid);
    assert.ok(t.pids.includes(t.pid as number));
    assert.ok(t.rssBytes > 200 * 2 ** 20 && t.rssBytes < 600 * 2 ** 20, `rss ${t.rssBytes}`);
    assert.ok(t.cpuPercent >= 0 && t.cpuPercent < 400, `cpu ${t.cpuPercent}`);
    assert.equal(t.calls, 1);
    assert.equal(t.errors, 0);
    assert.equal(t.gpuMemoryMB, 0, 'no GPU here');
    assert.ok(t.uptimeMs >= 0 && (t.lastDurationMs ?? -1) > 0);
    const all = await m.telemetry();
    assert.deepEqual(
      all.map((x) => x.name),
      ['hog'],
    );
  });

  test('system(): the machine, with no GPU here', async () => {
    await using m = new PluginManager({ pluginPaths: [pluginDir([])], home: tempHome(), ...quiet });
    const s = await m.system();
    assert.ok(s.cpu.cores >= 1 && s.memory.totalMB > 0);
    assert.ok(Array.isArray(s.gpus));
  });

  test('the system monitor can be a plugin reporting the same shape', async () => {
    const dir = pluginDir([{ name: 'gpu-monitor', fixture: 'gpu-monitor' }]);
    await using m = new PluginManager({
      pluginPaths: [dir],
      home: tempHome(),
      monitor: { plugin: 'gpu-monitor' },
      ...quiet,
    });
    const s = await m.system();
    assert.equal(s.cpu.cores, 64);
    assert.deepEqual(
      s.gpus.map((g) => [g.index, g.memoryFreeMB]),
      [
        [0, 40960],
        [1, 39960],
      ],
    );
  });

  test('a monitor plugin that answers the wrong shape fails loudly, naming the field', async () => {
    const dir = pluginDir([{ name: 'echo', fixture: 'echo' }]);
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), monitor: { plugin: 'echo' }, ...quiet });
    await assert.rejects(m.system(), (e) => isBulkheadError(e, 'ERR_INVALID_ARGUMENT') && /snapshot/i.test(e.message));
  });

  test('GPU memory of a plugin is attributed from nvidia-smi by the pids of its process group', async () => {
    const dir = pluginDir([{ name: 'noop', fixture: 'noop' }]);
    let workerPid = -1;
    const runCommand: CommandRunner = async (_file, args) => {
      const apps = args.some((a) => a.startsWith('--query-compute-apps'));
      // The real capture's format, with the worker's pid in place of the capture's python3 pid.
      const stdout = apps
        ? `${workerPid}, python3, 6242 MiB, GPU-2b1f9ae6-0f02-0a4b-2a2c-4d7b2a9c1b3e\n`.replace(' MiB', '')
        : '0, GPU-2b1f9ae6-0f02-0a4b-2a2c-4d7b2a9c1b3e, NVIDIA H100 80GB HBM3, 81559, 6251, 74829, 0, 33, 121.07\n';
      return { stdout, stderr: '', exitCode: 0 };
    };
    await using m = new PluginManager({ pluginPaths: [dir], home: tempHome(), runCommand, ...quiet });
    await m.execute('noop', 1);
    workerPid = m.get('noop')?.pid as number;
    const t = await m.telemetry('noop');
    assert.equal(t.gpuMemoryMB, 6242);
    const s = await m.system();
    assert.equal(s.gpus[0]?.name, 'NVIDIA H100 80GB HBM3');
    assert.equal(s.gpus[0]?.memoryFreeMB, 74829);
  });

  test('logs: file per plugin, memory tail, follow, and the tail of an earlier run', async () => {
    const dir = pluginDir([{ name: 'echo', fixture: 'echo' }]);
    const home = tempHome();
    {
      await using m = new PluginManager({ pluginPaths: [dir], home, ...quiet });
      await m.execute('echo', { log: 'first line' });
      const ac = new AbortController();
      const followed: LogEntry[] = [];
      const reader = (async () => {
        for await (const e of m.logs('echo', { follow: true, tail: 0, signal: ac.signal })) {
          followed.push(e);
          if (e.message === 'third line') ac.abort();
        }
      })();
      await m.execute('echo', { log: 'second line' });
      await m.execute('echo', { log: 'third line' });
      await reader;
      assert.deepEqual(
        followed.filter((e) => e.source === 'plugin').map((e) => e.message),
        ['second line', 'third line'],
      );
      const tail = m.logs('echo', { tail: 50 });
      assert.ok(tail.some((e) => e.message === 'first line' && e.source === 'plugin'));
      assert.ok(tail.some((e) => e.source === 'host' && /loaded/.test(e.message)));
    }
    const file = join(home, 'logs', 'echo.log');
    assert.match(readFileSync(file, 'utf8'), /third line/);
    {
      await using m = new PluginManager({ pluginPaths: [dir], home, ...quiet });
      await m.discover();
      const earlier = m.logs('echo', { tail: 100 });
      assert.ok(
        earlier.some((e) => e.message === 'third line'),
        'read back from the file of the earlier run',
      );
    }
  });

  test('logs rotate by size and keep a bounded number of files', async () => {
    const dir = pluginDir([{ name: 'flood', fixture: 'flood' }]);
    const home = tempHome();
    await using m = new PluginManager({
      pluginPaths: [dir],
      home,
      // Small files: a flood's stdout may be dropped in part when the log writer falls behind (the
      // log is bounded, by design), so a rotation must not need more than a fraction of it.
      log: { maxFileBytes: 32 * 1024, maxFiles: 3 },
      ...quiet,
    });
    // The stream rotates on the first write after its file passed the size: under load the
    // floods so far may all reach it in one write, so flood until a rotation is seen (bounded).
    const rotated = () => readdirSync(join(home, 'logs')).includes('flood.log.1');
    for (let i = 0; i < 40 && (i < 4 || !rotated()); i++) await m.execute('flood', { megabytes: 1 });
    await m.unload('flood');
    await m.close();
    const logs = readdirSync(join(home, 'logs')).filter((f) => f.startsWith('flood.log'));
    assert.ok(logs.includes('flood.log.1'), logs.join(','));
    assert.ok(logs.length <= 4, `kept ${logs.join(',')}`);
    for (const f of logs) assert.ok(statSync(join(home, 'logs', f)).size < 2 * 1024 * 1024);
  });
});

describe('PluginManager: several processes, one home', () => {
  test('five processes disabling five plugins at once: every change is kept', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const dir = pluginDir(names.map((name) => ({ name, fixture: 'echo' })));
    const home = tempHome();
    const script = `
      import { PluginManager } from 'bulkhead';
      const [home, dir, name] = process.argv.slice(1);
      const m = new PluginManager({ home, pluginPaths: [dir] });
      await m.disable(name);
      await m.updateConfig('a', { [name]: true });
      await m.close();`;
    await Promise.all(
      names.map(
        (name) =>
          new Promise<void>((resolve, reject) =>
            execFile(
              process.execPath,
              ['--input-type=module', '-e', script, home, dir, name],
              { cwd: repoRoot },
              (e) => (e ? reject(e) : resolve()),
            ),
          ),
      ),
    );
    const manager = new PluginManager({ home, pluginPaths: [dir] });
    await manager.discover();
    assert.deepEqual(
      manager.list().map((p) => `${p.name}:${p.enabled}`),
      names.map((n) => `${n}:false`),
    );
    // Five processes each set another key of one plugin's config: none is lost.
    assert.deepEqual(Object.keys(manager.getConfig('a')).sort(), names);
    await manager.close();
  });
});
