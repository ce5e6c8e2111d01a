import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError } from 'bulkhead';
import { eventually, isRunning, repoRoot } from '../helpers.js';

// resources/ is not (yet) part of the package's public entry: load the built module beside it.
const { execCommandRunner, LocalSystemMonitor, parseSnapshot, sampleGroup, sampleGroups } = (await import(
  new URL('./resources/index.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../../packages/host/src/resources/index.js');
type CommandRunner = import('../../packages/host/src/resources/index.js').CommandRunner;
const { readProcStat } = (await import(
  new URL('./util/proc-stat.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../../packages/host/src/util/proc-stat.js');
const startOf = (pid: number) => readProcStat(pid)?.startTicks;
type SystemSnapshot = import('../../packages/host/src/resources/index.js').SystemSnapshot;

const MiB = 1024 * 1024;
const linuxOnly = { skip: process.platform !== 'linux' ? 'reads /proc' : false };
// Copied from ../shared/fixtures/nvidia-smi (real H100 captures), so the suite runs wherever the repo is.
const captures = join(repoRoot, 'test', 'fixtures', 'nvidia-smi');

/** Answers the two nvidia-smi queries with the busy H100 captures, or with `failure`. */
function busyH100(failure?: { exitCode: number; stdout: string }): CommandRunner & { calls: number } {
  const run = async (_file: string, args: readonly string[]) => {
    run.calls++;
    await new Promise((r) => setTimeout(r, 20));
    if (failure) return { ...failure, stderr: '' };
    const file = args[0]?.startsWith('--query-gpu=') ? 'query-gpu-busy.csv' : 'query-apps-busy.csv';
    return { stdout: readFileSync(join(captures, file), 'utf8'), stderr: '', exitCode: 0 };
  };
  run.calls = 0;
  return run;
}

/** Does this machine have a working nvidia-smi? (Decides what the real monitor must report.) */
async function nvidiaGpuCount(): Promise<number> {
  try {
    const { stdout, exitCode } = await execCommandRunner('nvidia-smi', ['-L'], { timeoutMs: 10_000 });
    return exitCode === 0 ? stdout.split('\n').filter((l) => l.startsWith('GPU ')).length : 0;
  } catch {
    return 0;
  }
}

describe('LocalSystemMonitor', () => {
  test('reports sane figures for this machine', async () => {
    const monitor = new LocalSystemMonitor();
    const first = await monitor.sample();
    assert.equal(first.cpu.cores, cpus().length);
    assert.equal(first.cpu.model, cpus()[0]?.model.trim());
    assert.ok(first.cpu.percent >= 0 && first.cpu.percent <= 100, `${first.cpu.percent}`);
    assert.equal(first.cpu.loadavg.length, 3);
    assert.ok(Math.abs(first.memory.totalMB - totalmem() / MiB) <= 1, `${first.memory.totalMB}`);
    assert.ok(first.memory.availableMB > 0 && first.memory.availableMB <= first.memory.totalMB);
    assert.ok(first.memory.freeMB > 0 && first.memory.freeMB <= first.memory.totalMB);
    assert.ok(Math.abs(first.time - Date.now()) < 5000);
    assert.equal(first.gpus.length, await nvidiaGpuCount());
    assert.equal(monitor.gpuError, undefined);
    // The second sample measures the interval since the first: keep one core busy through it.
    const until = performance.now() + 300;
    while (performance.now() < until) {}
    const second = await monitor.sample();
    assert.ok(second.cpu.percent > 0 && second.cpu.percent <= 100, `${second.cpu.percent}`);
    // What the monitor produces passes the check applied to other monitors' snapshots.
    assert.deepEqual(parseSnapshot(JSON.parse(JSON.stringify(second))), second);
  });

  test('with an injected runner answering the busy H100 captures: one GPU, 6251 MiB used, pid 445', async () => {
    const run = busyH100();
    const monitor = new LocalSystemMonitor({ runCommand: run });
    const { gpus } = await monitor.sample();
    assert.equal(gpus.length, 1);
    assert.equal(gpus[0]?.name, 'NVIDIA H100 80GB HBM3');
    assert.equal(gpus[0]?.memoryTotalMB, 81559);
    assert.equal(gpus[0]?.memoryUsedMB, 6251);
    assert.equal(gpus[0]?.memoryFreeMB, 74829);
    assert.deepEqual(await monitor.gpuProcesses(), [
      { pid: 445, processName: 'python3', usedMemoryMB: 6242, gpuUuid: 'GPU-e837476f-f328-672f-5e10-1a7478bb1a74' },
    ]);
  });

  test('samples taken at the same time share one nvidia-smi run', async () => {
    const run = busyH100();
    const monitor = new LocalSystemMonitor({ runCommand: run });
    const samples = await Promise.all([monitor.sample(), monitor.sample(), monitor.sample()]);
    assert.equal(run.calls, 1);
    assert.ok(samples.every((s) => s.gpus.length === 1));
  });

  test('a broken nvidia-smi does not fail the sample: no GPUs, and gpuError says why', async () => {
    const monitor = new LocalSystemMonitor({
      runCommand: busyH100({ exitCode: 18, stdout: 'Failed to initialize NVML: Driver/library version mismatch' }),
    });
    const snapshot = await monitor.sample();
    assert.deepEqual(snapshot.gpus, []);
    assert.ok(snapshot.cpu.cores > 0);
    assert.ok(isBulkheadError(monitor.gpuError, 'ERR_INTERNAL'));
    assert.match(monitor.gpuError.message, /version mismatch/);
    assert.deepEqual(await monitor.gpuProcesses(), []);
  });

  test('no nvidia-smi at nvidiaSmiPath: no GPUs and no error', async () => {
    const monitor = new LocalSystemMonitor({ nvidiaSmiPath: '/nonexistent/bulkhead-test/nvidia-smi' });
    assert.deepEqual((await monitor.sample()).gpus, []);
    assert.deepEqual(await monitor.gpuProcesses(), []);
    assert.equal(monitor.gpuError, undefined);
  });
});

describe('parseSnapshot', () => {
  const good = (): SystemSnapshot => ({
    time: 1_790_000_000_000,
    cpu: { model: 'AMD EPYC 9654', cores: 16, percent: 12.5, loadavg: [0.5, 0.25, 0.1] },
    memory: { totalMB: 128_000, freeMB: 20_000, availableMB: 100_000 },
    gpus: [
      {
        index: 0,
        uuid: 'GPU-e837476f-f328-672f-5e10-1a7478bb1a74',
        name: 'NVIDIA H100 80GB HBM3',
        memoryTotalMB: 81559,
        memoryUsedMB: 6251,
        memoryFreeMB: 74829,
        utilizationPercent: 0,
        temperatureC: null,
        powerW: 121.07,
      },
    ],
  });

  test('accepts a good snapshot and returns only the known fields', () => {
    assert.deepEqual(parseSnapshot(good()), good());
    const extra = { ...good(), secret: 1, cpu: { ...good().cpu, extra: true } };
    assert.deepEqual(parseSnapshot(extra), good());
  });

  const DELETE = Symbol('delete');
  /** A good snapshot with the value at `path` replaced (or deleted); the whole value when `path` is []. */
  const spoiled = (path: (string | number)[], value: unknown): unknown => {
    if (path.length === 0) return value;
    const root: unknown = good();
    let node = root as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    const last = path.at(-1)!;
    if (value === DELETE) delete node[last];
    else node[last] = value;
    return root;
  };
  const bad: [field: string, path: (string | number)[], value: unknown][] = [
    ['snapshot', [], 'not an object'],
    ['snapshot', [], null],
    ['time', ['time'], DELETE],
    ['cpu', ['cpu'], []],
    ['cpu.model', ['cpu', 'model'], 42],
    ['cpu.cores', ['cpu', 'cores'], 0],
    ['cpu.cores', ['cpu', 'cores'], 2.5],
    ['cpu.percent', ['cpu', 'percent'], 150],
    ['cpu.percent', ['cpu', 'percent'], Number.NaN],
    ['cpu.loadavg', ['cpu', 'loadavg'], [1, 2]],
    ['cpu.loadavg[2]', ['cpu', 'loadavg', 2], '0.1'],
    ['memory', ['memory'], DELETE],
    ['memory.availableMB', ['memory', 'availableMB'], -1],
    ['gpus', ['gpus'], {}],
    ['gpus[0]', ['gpus', 0], null],
    ['gpus[0].uuid', ['gpus', 0, 'uuid'], DELETE],
    ['gpus[0].memoryFreeMB', ['gpus', 0, 'memoryFreeMB'], '74829'],
    ['gpus[0].temperatureC', ['gpus', 0, 'temperatureC'], undefined],
    ['gpus[1].index', ['gpus', 1], { ...good().gpus[0], index: -1 }],
  ];
  for (const [field, path, value] of bad) {
    test(`rejects a bad ${field} (${String(value)}), naming it`, () => {
      assert.throws(
        () => parseSnapshot(spoiled(path, value)),
        (e: unknown) => {
          assert.ok(isBulkheadError(e, 'ERR_INVALID_ARGUMENT'), String(e));
          assert.equal((e.data as { field: string }).field, field);
          assert.ok(e.message.includes(`${field} must be`), e.message);
          return true;
        },
      );
    });
  }
});

/** Spawns a detached command in its own process group, with stdout piped. */
function spawnGroup(command: string, args: string[]): ChildProcess & { pid: number } {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  assert.ok(child.pid !== undefined);
  return child as ChildProcess & { pid: number };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('process groups', () => {
  test('sampleGroup sums a real group: the leader holding 100 MiB and its child', linuxOnly, async () => {
    const leader = spawnGroup(process.execPath, [
      '-e',
      `const b = Buffer.alloc(100 * 2 ** 20, 1);
       const c = require('node:child_process').spawn('sleep', ['30'], { stdio: 'ignore' });
       console.log(c.pid);
       setInterval(() => b[0]++, 1000);`,
    ]);
    try {
      const [line] = (await once(leader.stdout!, 'data')) as [Buffer];
      const childPid = Number(line.toString().trim());
      assert.ok(childPid > 0);
      const sample = await sampleGroup(leader.pid);
      assert.ok(sample, 'group found');
      assert.ok(sample.pids.includes(leader.pid), `${sample.pids}`);
      assert.ok(sample.pids.includes(childPid), `${sample.pids}`);
      assert.equal(sample.pids.length, 2);
      assert.ok(sample.rssBytes >= 100 * MiB, `rss ${sample.rssBytes / MiB} MiB`);
      assert.ok(sample.cpuMs > 0);
      assert.ok(sample.at > 0 && sample.at <= performance.now());
      assert.equal(await sampleGroup(2 ** 22 + 12345), undefined, 'no such group');
      killGroup(leader.pid);
      assert.ok(await eventually(() => !isRunning(leader.pid) && !isRunning(childPid)));
      assert.equal(await sampleGroup(leader.pid), undefined);
    } finally {
      killGroup(leader.pid);
    }
  });

  test('the start time in /proc/<pid>/stat is stable for a pid and undefined once it is gone', linuxOnly, async () => {
    const own = startOf(process.pid);
    assert.ok(own !== undefined && own > 0);
    assert.equal(startOf(process.pid), own);
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid!;
    const started = startOf(pid);
    assert.ok(started !== undefined && started >= own, `${started} vs ${own}`);
    assert.equal(startOf(pid), started);
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.equal(startOf(pid), undefined);
    assert.equal(startOf(-1), undefined);
    assert.equal(startOf(1.5), undefined);
  });

  test('20 groups: one scan samples them all, fast enough to run every second', linuxOnly, async (t) => {
    const groups = Array.from({ length: 20 }, () =>
      spawnGroup(process.execPath, ['-e', 'console.log(1); setInterval(() => {}, 1000)']),
    );
    try {
      await Promise.all(groups.map((g) => once(g.stdout!, 'data')));
      const pgids = groups.map((g) => g.pid);
      const all = await sampleGroups(pgids);
      assert.deepEqual(
        [...all.keys()].sort((a, b) => a - b),
        [...pgids].sort((a, b) => a - b),
      );
      for (const pgid of pgids) assert.deepEqual(all.get(pgid)?.pids, [pgid]);

      const rounds = 20;
      let t0 = performance.now();
      for (let i = 0; i < rounds; i++) await sampleGroups(pgids);
      const oneScan = (performance.now() - t0) / rounds;
      t0 = performance.now();
      for (let i = 0; i < rounds; i++) await Promise.all(pgids.map((p) => sampleGroup(p)));
      const perGroup = (performance.now() - t0) / rounds;
      const processes = (await import('node:fs')).readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
      t.diagnostic(
        `${processes} processes: sampleGroups(20) ${oneScan.toFixed(2)} ms, 20 × sampleGroup ${perGroup.toFixed(2)} ms`,
      );
      // How fast is a benchmark's question (bench: sample_groups_*), not this test's.
    } finally {
      for (const g of groups) killGroup(g.pid);
    }
  });
});
