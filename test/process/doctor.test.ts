import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BulkheadError } from '@bulkhead/sdk';
import {
  check,
  checkNodeVersion,
  type DoctorCheck,
  doctor,
  doctorExitCode,
  enoent,
  fakeRunner,
  GPU_QUERY_ARGS,
  homeWithJobs,
  manifest,
  tempDir,
  writeManifest,
} from '../doctor-helpers.js';
import { sourceFixture } from '../helpers.js';

describe('runDoctor: home, node, npm', () => {
  test('a healthy home: every check ok or skipped, in a fixed order, and nothing left behind', async () => {
    const home = await homeWithJobs();
    writeManifest(home, 'echo', manifest('echo'));
    const before = readdirSync(home).sort();
    const checks = await doctor(home);

    assert.equal(check(checks, 'node').status, checkNodeVersion(process.versions.node).status);
    assert.deepEqual(check(checks, 'npm'), { id: 'npm', title: 'npm', status: 'ok', detail: 'npm 10.9.0' });
    assert.equal(check(checks, 'home').status, 'ok');
    assert.match(check(checks, 'home').detail, /is a writable directory, [\d.]+ [KMG]iB free$/);
    const sqlite = check(checks, 'sqlite');
    assert.equal(sqlite.status, 'ok', sqlite.detail);
    assert.match(
      sqlite.detail,
      /jobs\.db: intact, wal journal, schema 2, .*; jobs: 1 pending, 1 running, 1 completed$/,
    );
    assert.equal(check(checks, 'plugins').status, 'ok');
    assert.match(check(checks, 'plugins').detail, /^1 plugin in .*plugins$/);
    assert.deepEqual(check(checks, 'gpu'), {
      id: 'gpu',
      title: 'NVIDIA GPUs',
      status: 'skip',
      detail: 'no NVIDIA GPU driver found (GPU scheduling off)',
    });
    assert.equal(check(checks, 'redis').status, 'skip');
    assert.match(check(checks, 'redis').detail, /not configured/);
    assert.deepEqual(check(checks, 'control'), {
      id: 'control',
      title: 'Job database owner',
      status: 'ok',
      detail: 'no Bulkhead host owns the job database',
    });
    assert.equal(doctorExitCode(checks), 0);
    // The writability probe is removed; opening read-only may add SQLite's -wal/-shm files only.
    const now = readdirSync(home).filter((f) => !/^jobs\.db-(wal|shm)$/.test(f));
    assert.deepEqual(now.sort(), before);
  });

  test('a home that does not exist yet is fine and is not created', async () => {
    const home = join(tempDir(), 'not', 'yet');
    const checks = await doctor(home);
    assert.equal(check(checks, 'home').status, 'ok');
    assert.match(check(checks, 'home').detail, /does not exist yet; it will be created on first use/);
    assert.equal(check(checks, 'sqlite').status, 'ok');
    assert.match(check(checks, 'sqlite').detail, /will be created on first use \(node:sqlite \d+\.\d+\.\d+\)/);
    assert.equal(check(checks, 'control').status, 'ok');
    assert.match(check(checks, 'plugins').detail, /^no plugins installed/);
    assert.equal(doctorExitCode(checks), 0);
    assert.equal(existsSync(home), false);
  });

  test('config: the host settings as commands will read them; a broken config.yaml fails at its line', async () => {
    const home = tempDir();
    assert.match(check(await doctor(home), 'config').detail, /config\.yaml \(absent: defaults\); all defaults/);
    writeFileSync(join(home, 'config.yaml'), 'scheduler:\n  policy: safety\n');
    const set = check(await doctor(home, { env: { BULKHEAD_CANCEL_TIMEOUT: '2s' } }), 'config');
    assert.equal(set.status, 'ok');
    assert.match(set.detail, /set: scheduler\.policy \(file\), cancelTimeout \(env\)/);
    writeFileSync(join(home, 'config.yaml'), 'scheduler:\n  policy: sometimes\nconcurrency: 0\n');
    const broken = await doctor(home);
    assert.equal(check(broken, 'config').status, 'fail');
    assert.match(
      check(broken, 'config').detail,
      /config\.yaml:2:11: scheduler\.policy must be one of .* \(and 1 more\)$/,
    );
    assert.equal(doctorExitCode(broken), 1);
  });

  test('a home that is a file fails', async () => {
    const home = join(tempDir(), 'home');
    writeFileSync(home, 'not a directory');
    const checks = await doctor(home);
    const h = check(checks, 'home');
    assert.equal(h.status, 'fail');
    assert.equal(h.detail, `${home} is not a directory`);
    assert.match(h.fix!, /BULKHEAD_HOME/);
    assert.equal(check(checks, 'sqlite').status, 'skip');
    assert.equal(doctorExitCode(checks), 1);
  });

  test('a home under a file cannot be created: fails', async () => {
    const file = join(tempDir(), 'file');
    writeFileSync(file, '');
    const checks = await doctor(join(file, 'home'));
    assert.equal(check(checks, 'home').status, 'fail');
    assert.match(check(checks, 'home').detail, /cannot be created: .*file is a file/);
  });

  test('a home that is not writable fails', async (t) => {
    const home = join(tempDir(), 'home');
    mkdirSync(home);
    chmodSync(home, 0o500);
    t.after(() => chmodSync(home, 0o700));
    try {
      writeFileSync(join(home, 'probe'), '');
      rmSync(join(home, 'probe'));
      t.skip('this process can write to a 0500 directory (root or CAP_DAC_OVERRIDE), so the case cannot be set up');
      return;
    } catch {
      // Writes are refused, as they should be.
    }
    const h = check(await doctor(home), 'home');
    assert.equal(h.status, 'fail');
    assert.match(h.detail, /is not writable \((EACCES|EPERM)\)$/);
    assert.match(h.fix!, /chmod u\+w/);
  });

  test('node: fail below 22.13, warn on end-of-life lines, ok on 22.13+ and 24', () => {
    const cases: [string, DoctorCheck['status']][] = [
      ['18.19.0', 'fail'],
      ['v20.20.2', 'fail'],
      ['21.7.3', 'fail'],
      ['22.12.0', 'fail'],
      ['22.13.0', 'ok'],
      ['v22.23.3', 'ok'],
      ['23.11.0', 'warn'],
      ['v24.1.0', 'ok'],
      ['25.2.0', 'warn'],
      ['26.0.0', 'ok'],
    ];
    for (const [version, status] of cases) assert.equal(checkNodeVersion(version).status, status, version);
    const old = checkNodeVersion('20.19.0');
    assert.equal(old.detail, 'Node 20.19.0 is older than 22.13, the oldest Bulkhead runs on');
    assert.match(old.fix!, /Node 24 LTS/);
    const eol = checkNodeVersion('23.11.0');
    assert.match(eol.detail, /Node 23\.11\.0: Node 23 reached end of life on 2025-06-01/);
    assert.equal(checkNodeVersion('24.1.0').fix, undefined);
  });

  test('npm: missing or broken fails with a fix', async () => {
    const home = tempDir();
    const missing = fakeRunner({ npm: async () => Promise.reject(enoent('npm')) });
    const m = check(await doctor(home, { runCommand: missing }), 'npm');
    assert.equal(m.status, 'fail');
    assert.equal(m.detail, 'npm was not found on PATH');
    assert.match(m.fix!, /install npm/);

    const broken = fakeRunner({
      npm: async () => ({ stdout: '', stderr: 'npm ERR! cb() never called\n', exitCode: 1 }),
    });
    const b = check(await doctor(home, { runCommand: broken }), 'npm');
    assert.equal(b.status, 'fail');
    assert.equal(b.detail, 'npm --version exited with code 1: npm ERR! cb() never called');
  });

  test('never hangs: a runner that never answers is cut off by the check timeout', async () => {
    const stuck = fakeRunner({ npm: () => new Promise(() => {}) });
    const checks = await doctor(tempDir(), { runCommand: stuck, timeoutMs: 150 });
    assert.equal(check(checks, 'npm').status, 'fail');
    assert.match(check(checks, 'npm').detail, /did not finish within 300 ms/);
  });

  test('doctorExitCode: 1 only when a check failed', () => {
    const c = (status: DoctorCheck['status']): DoctorCheck => ({ id: status, title: status, status, detail: '.' });
    assert.equal(doctorExitCode([]), 0);
    assert.equal(doctorExitCode([c('ok'), c('warn'), c('skip')]), 0);
    assert.equal(doctorExitCode([c('ok'), c('fail')]), 1);
  });
});

describe('runDoctor: plugins', () => {
  test('invalid manifests warn; pinned Node binaries are run once each, and a broken one fails', async () => {
    const home = tempDir();
    writeManifest(home, 'good', manifest('good'));
    const brokenFile = writeManifest(home, 'broken', { manifestVersion: 1, name: 'broken', version: '1.0.0' });
    writeManifest(home, 'pinned-a', manifest('pinned-a', { node: process.execPath }));
    writeManifest(home, 'pinned-b', manifest('pinned-b', { node: process.execPath }));
    writeManifest(home, 'pinned-bad', manifest('pinned-bad', { node: './node' }), {
      node: '#!/bin/sh\necho "node: cannot execute binary file" >&2\nexit 126\n',
    });
    writeManifest(home, 'pinned-gone', manifest('pinned-gone', { node: './bin/node' }));
    const runner = fakeRunner();
    const checks = await doctor(home, { runCommand: runner });

    assert.match(check(checks, 'plugins').detail, /^4 plugins in .*plugins \(2 invalid\)$/);
    const broken = check(checks, `plugin-manifest:${brokenFile}`);
    assert.equal(broken.status, 'warn');
    assert.match(broken.detail, /broken.*bulkhead-plugin\.json: .*entry/);
    assert.equal(broken.fix, 'correct the manifest, or reinstall: bulkhead install --force broken');

    for (const name of ['pinned-a', 'pinned-b']) {
      const c = check(checks, `plugin-node:${name}`);
      assert.equal(c.status, 'ok');
      assert.equal(c.detail, `${process.execPath} runs Node ${process.version}`);
    }
    assert.equal(runner.calls.filter((f) => f === process.execPath).length, 1);

    const bad = check(checks, 'plugin-node:pinned-bad');
    assert.equal(bad.status, 'fail');
    assert.match(bad.detail, /node --version exited with code 126: node: cannot execute binary file$/);
    assert.equal(bad.fix, 'bulkhead install --force pinned-bad');

    const gone = check(checks, 'plugin-node:pinned-gone');
    assert.equal(gone.status, 'fail');
    assert.match(gone.detail, /node binary \.\/bin\/node does not exist/);
    assert.equal(gone.fix, 'bulkhead install --force pinned-gone');
    assert.equal(doctorExitCode(checks), 1);
  });

  test('BULKHEAD_PLUGIN_PATH is searched as well as the home', async () => {
    const home = tempDir();
    const extra = tempDir();
    mkdirSync(join(extra, 'dev'));
    writeFileSync(join(extra, 'dev', 'index.js'), '');
    writeFileSync(join(extra, 'dev', 'bulkhead-plugin.json'), JSON.stringify(manifest('dev')));
    const p = check(await doctor(home, { env: { BULKHEAD_PLUGIN_PATH: extra } }), 'plugins');
    assert.equal(p.detail, `1 plugin in ${extra}, ${join(home, 'plugins')}`);
  });
});

describe('runDoctor: gpu', () => {
  const fixture = (name: string) => readFileSync(sourceFixture('nvidia-smi', name), 'utf8');

  test('GPUs are listed from nvidia-smi (a real H100 capture)', async () => {
    const runner = fakeRunner({
      'nvidia-smi': async (_file, args) => {
        assert.deepEqual(args, GPU_QUERY_ARGS);
        return { stdout: fixture('query-gpu.csv'), stderr: '', exitCode: 0 };
      },
    });
    assert.deepEqual(check(await doctor(tempDir(), { runCommand: runner }), 'gpu'), {
      id: 'gpu',
      title: 'NVIDIA GPUs',
      status: 'ok',
      detail: '1 GPU: 0: NVIDIA H100 80GB HBM3, 81559 MiB (81079 MiB free)',
    });
  });

  test('no nvidia-smi, or no driver behind it: skipped', async () => {
    const noDriver = async () => ({
      stdout:
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n",
      stderr: '',
      exitCode: 9,
    });
    for (const runner of [fakeRunner(), fakeRunner({ 'nvidia-smi': noDriver })]) {
      const g = check(await doctor(tempDir(), { runCommand: runner }), 'gpu');
      assert.equal(g.status, 'skip');
      assert.equal(g.detail, 'no NVIDIA GPU driver found (GPU scheduling off)');
    }
  });

  test('a failing nvidia-smi warns with the first line of what it printed', async () => {
    const mismatch = 'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 580.159\n';
    for (const [stdout, stderr] of [
      ['', mismatch],
      [mismatch, ''],
    ]) {
      const runner = fakeRunner({ 'nvidia-smi': async () => ({ stdout: stdout!, stderr: stderr!, exitCode: 18 }) });
      const checks = await doctor(tempDir(), { runCommand: runner });
      const g = check(checks, 'gpu');
      assert.equal(g.status, 'warn');
      assert.equal(
        g.detail,
        'nvidia-smi exited with code 18: Failed to initialize NVML: Driver/library version mismatch',
      );
      assert.match(g.fix!, /NVIDIA driver/);
      assert.equal(doctorExitCode(checks), 0);
    }
  });

  test('a hanging nvidia-smi warns', async () => {
    const runner = fakeRunner({
      'nvidia-smi': async (file, _args, options) =>
        Promise.reject(
          new BulkheadError('ERR_TIMEOUT', `${file} did not finish`, { timeoutMs: options!.timeoutMs!, forced: true }),
        ),
    });
    const g = check(await doctor(tempDir(), { runCommand: runner, timeoutMs: 1234 }), 'gpu');
    assert.equal(g.status, 'warn');
    assert.equal(g.detail, 'nvidia-smi did not answer within 1234 ms');
  });
});
