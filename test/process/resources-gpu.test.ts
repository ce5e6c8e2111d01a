import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError } from 'bulkhead';
import { repoRoot } from '../helpers.js';

// resources/ is not (yet) part of the package's public entry: load the built module beside it.
const { execCommandRunner, parseGpuCsv, parseGpuProcessCsv, queryGpuProcesses, queryGpus } = (await import(
  new URL('./resources/index.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../../packages/host/src/resources/index.js');
type CommandRunner = import('../../packages/host/src/resources/index.js').CommandRunner;

// Copied from ../shared/fixtures/nvidia-smi (real H100 captures), so the suite runs wherever the repo is.
const captures = join(repoRoot, 'test', 'fixtures', 'nvidia-smi');
const capture = (name: string) => readFileSync(join(captures, name), 'utf8');

// The exact command lines of the captures' README: the fake answers only these.
const GPU_QUERY =
  'nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,temperature.gpu,power.draw --format=csv,noheader,nounits';
const APPS_QUERY =
  'nvidia-smi --query-compute-apps=pid,process_name,used_memory,gpu_uuid --format=csv,noheader,nounits';

type Answer = string | { exitCode: number; stdout?: string; stderr?: string } | Error;

/** A CommandRunner that answers known command lines and fails the test on any other. */
function fakeRunner(answers: Record<string, Answer>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = async (file: string, args: readonly string[]) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    const answer = answers[line];
    assert.ok(answer !== undefined, `unexpected command: ${line}`);
    if (answer instanceof Error) throw answer;
    if (typeof answer === 'string') return { stdout: answer, stderr: '', exitCode: 0 };
    return { stdout: answer.stdout ?? '', stderr: answer.stderr ?? '', exitCode: answer.exitCode };
  };
  return Object.assign(run, { calls });
}

const enoent = () => Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT', errno: -2 });

const H100 = {
  index: 0,
  uuid: 'GPU-e837476f-f328-672f-5e10-1a7478bb1a74',
  name: 'NVIDIA H100 80GB HBM3',
  memoryTotalMB: 81559,
  utilizationPercent: 0,
  temperatureC: 35,
};

describe('nvidia-smi: real H100 captures', () => {
  test('idle: one H100, nothing used; free is total minus the 480 MiB the driver reserves', async () => {
    const run = fakeRunner({ [GPU_QUERY]: capture('query-gpu.csv'), [APPS_QUERY]: capture('query-apps.csv') });
    assert.deepEqual(await queryGpus(run), [{ ...H100, memoryUsedMB: 0, memoryFreeMB: 81079, powerW: 125.64 }]);
    assert.deepEqual(await queryGpuProcesses(run), []);
    assert.deepEqual(run.calls, [GPU_QUERY, APPS_QUERY]);
  });

  test('busy: a python3 process (pid 445) holds 6242 MiB; the GPU counts 6251 used', async () => {
    const run = fakeRunner({
      [GPU_QUERY]: capture('query-gpu-busy.csv'),
      [APPS_QUERY]: capture('query-apps-busy.csv'),
    });
    assert.deepEqual(await queryGpus(run), [{ ...H100, memoryUsedMB: 6251, memoryFreeMB: 74829, powerW: 121.07 }]);
    assert.deepEqual(await queryGpuProcesses(run), [
      { pid: 445, processName: 'python3', usedMemoryMB: 6242, gpuUuid: 'GPU-e837476f-f328-672f-5e10-1a7478bb1a74' },
    ]);
  });

  test('the same query with a header and units (--format=csv) parses to the same GPU', () => {
    assert.deepEqual(parseGpuCsv(capture('query-gpu-header.csv')), [
      { ...H100, memoryUsedMB: 0, memoryFreeMB: 81079, powerW: 125.62 },
    ]);
  });

  test('nvidiaSmiPath names the executable', async () => {
    const run = fakeRunner({ [GPU_QUERY.replace('nvidia-smi', '/opt/nv/nvidia-smi')]: capture('query-gpu.csv') });
    assert.equal((await queryGpus(run, { nvidiaSmiPath: '/opt/nv/nvidia-smi' }))[0]?.memoryTotalMB, 81559);
  });
});

describe('nvidia-smi: parsing', () => {
  test('two GPUs, blank lines, CRLF, and [N/A] / [Not Supported] values', () => {
    const text = [
      '0, GPU-11111111-2222-3333-4444-555555555555, NVIDIA A100-SXM4-80GB, 81920, 1024, 80383, 37, 41, 88.12',
      '',
      '1, GPU-66666666-7777-8888-9999-000000000000, NVIDIA GeForce RTX 4090, 24564, 2, 24077, [N/A], [N/A], [Not Supported]\r',
      '',
    ].join('\n');
    assert.deepEqual(parseGpuCsv(text), [
      {
        index: 0,
        uuid: 'GPU-11111111-2222-3333-4444-555555555555',
        name: 'NVIDIA A100-SXM4-80GB',
        memoryTotalMB: 81920,
        memoryUsedMB: 1024,
        memoryFreeMB: 80383,
        utilizationPercent: 37,
        temperatureC: 41,
        powerW: 88.12,
      },
      {
        index: 1,
        uuid: 'GPU-66666666-7777-8888-9999-000000000000',
        name: 'NVIDIA GeForce RTX 4090',
        memoryTotalMB: 24564,
        memoryUsedMB: 2,
        memoryFreeMB: 24077,
        utilizationPercent: 0, // [N/A]: unknown, reported as 0
        temperatureC: null,
        powerW: null,
      },
    ]);
  });

  test('names with commas are kept whole (nvidia-smi does not quote)', () => {
    const [gpu] = parseGpuCsv('3, GPU-abc, Acme, Inc. Accelerator, v2, 1000, 10, 990, 5, 30, 50.5\n');
    assert.equal(gpu?.name, 'Acme, Inc. Accelerator, v2');
    assert.equal(gpu?.memoryFreeMB, 990);
    const [proc] = parseGpuProcessCsv('1234, /opt/my, app/bin/python3, [N/A], GPU-abc\n');
    assert.deepEqual(proc, { pid: 1234, processName: '/opt/my, app/bin/python3', usedMemoryMB: 0, gpuUuid: 'GPU-abc' });
  });

  test('garbage lines are skipped, the good ones kept, nothing throws', () => {
    const good = '2, GPU-good, Good GPU, 100, 1, 99, 0, 30, 10';
    const text = [
      'garbage',
      '0, GPU-short, Too few fields, 1, 2',
      'x, GPU-badindex, Bad index, 1, 1, 1, 1, 1, 1',
      '0, GPU-nomem, No memory, [N/A], 1, 1, 1, 1, 1',
      '0, , No uuid, 1, 1, 1, 1, 1, 1',
      good,
      'Field "power.draw" is not a valid field to query.',
    ].join('\n');
    assert.deepEqual(
      parseGpuCsv(text).map((g) => g.uuid),
      ['GPU-good'],
    );
    for (const junk of ['', '\n\n', ',,,,,,,,,,,,', '\u0000\u0001binary', 'a, b, c, d']) {
      assert.deepEqual(parseGpuCsv(junk), []);
      assert.deepEqual(parseGpuProcessCsv(junk), []);
    }
    assert.deepEqual(
      parseGpuProcessCsv(
        'pid, process_name, used_gpu_memory [MiB], gpu_uuid\nnope, x, 1, GPU-a\n7, x, 12 MiB, GPU-a\n',
      ),
      [{ pid: 7, processName: 'x', usedMemoryMB: 12, gpuUuid: 'GPU-a' }],
    );
  });
});

describe('nvidia-smi: machines without a usable GPU', () => {
  test('nvidia-smi not installed (ENOENT) → no GPUs, no processes', async () => {
    const run = fakeRunner({ [GPU_QUERY]: enoent(), [APPS_QUERY]: enoent() });
    assert.deepEqual(await queryGpus(run), []);
    assert.deepEqual(await queryGpuProcesses(run), []);
  });

  test('the real runner on a missing executable → no GPUs', async () => {
    const missing = '/nonexistent/bulkhead-test/nvidia-smi';
    await assert.rejects(execCommandRunner(missing, ['-L']), { code: 'ENOENT' });
    assert.deepEqual(await queryGpus(execCommandRunner, { nvidiaSmiPath: missing }), []);
    assert.deepEqual(await queryGpuProcesses(execCommandRunner, { nvidiaSmiPath: missing }), []);
  });

  test('"NVIDIA-SMI has failed" (no driver) and "No devices were found" → no GPUs', async () => {
    const noDriver = {
      exitCode: 9,
      stdout:
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n",
    };
    const noDevice = { exitCode: 6, stdout: 'No devices were found\n' };
    for (const answer of [noDriver, noDevice]) {
      const run = fakeRunner({ [GPU_QUERY]: answer, [APPS_QUERY]: answer });
      assert.deepEqual(await queryGpus(run), []);
      assert.deepEqual(await queryGpuProcesses(run), []);
    }
  });

  test('any other failure is an error that says what nvidia-smi said', async () => {
    const run = fakeRunner({
      [GPU_QUERY]: { exitCode: 18, stdout: 'Failed to initialize NVML: Driver/library version mismatch\n' },
    });
    await assert.rejects(queryGpus(run), (e: unknown) => {
      assert.ok(isBulkheadError(e, 'ERR_INTERNAL'), String(e));
      assert.match(e.message, /exited with code 18: Failed to initialize NVML: Driver\/library version mismatch/);
      assert.equal((e.data as { exitCode: number }).exitCode, 18);
      return true;
    });
  });
});

describe('execCommandRunner', () => {
  test('resolves with output and exit code, also for a failing command', async () => {
    const ok = await execCommandRunner(process.execPath, ['-e', 'console.log("hi")']);
    assert.deepEqual(ok, { stdout: 'hi\n', stderr: '', exitCode: 0 });
    const failed = await execCommandRunner(process.execPath, ['-e', 'process.stderr.write("bad"); process.exit(3)']);
    assert.deepEqual(failed, { stdout: '', stderr: 'bad', exitCode: 3 });
  });

  test('a command that outlives timeoutMs is killed and rejects with ERR_TIMEOUT', async () => {
    // Its own end is an hour away: only the timeout can end it.
    await assert.rejects(
      execCommandRunner(process.execPath, ['-e', 'setTimeout(() => {}, 3_600_000)'], { timeoutMs: 200 }),
      {
        code: 'ERR_TIMEOUT',
      },
    );
  });
});
