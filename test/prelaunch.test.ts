import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PluginProcess } from 'bulkhead';
import { cleanUp, cli, cliEnv, copyExample, tempHome } from './cli-helpers.js';
import type echo from './fixtures/plugins/echo.js';
import { eventually, fixture, isRunning } from './helpers.js';

// Internal modules, loaded from the build beside the package's entry.
const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const { adoptPrelaunched, discardPrelaunched, prelaunch, workerSpawnSpec } = (await import(
  built('./process/worker-spawn.js')
)) as typeof import('../packages/host/src/process/worker-spawn.js');
const { plainRun } = (await import(
  built('./cli/prelaunch-run.js')
)) as typeof import('../packages/host/src/cli/prelaunch-run.js');

const MAX_FRAME = 256 * 1024 * 1024; // PluginProcess's default
const specFor = (env: Record<string, string> = {}) =>
  workerSpawnSpec({ plugin: fixture('echo'), env, maxFrameBytes: MAX_FRAME });

describe('prelaunch: a worker spawned early, taken over only by an identical start', () => {
  test('a start with the same spec adopts the prelaunched worker and works normally', async () => {
    const pid = prelaunch(specFor({ MARK: 'a' }));
    assert.ok(pid);
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo'), env: { MARK: 'a' } });
    assert.equal(p.pid, pid);
    assert.equal(p.prelaunched, true);
    assert.deepEqual((await p.execute({ x: 'hi' })).echo, { x: 'hi' });
    // Taken once: the next start spawns its own.
    await using q = await PluginProcess.start<typeof echo>({ plugin: fixture('echo'), env: { MARK: 'a' } });
    assert.notEqual(q.pid, pid);
    assert.equal(q.prelaunched, false);
  });

  test('any difference (here one environment variable) kills the early worker and spawns a fresh one', async () => {
    const pid = prelaunch(specFor({ MARK: 'a' })) as number;
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo'), env: { MARK: 'b' } });
    assert.notEqual(p.pid, pid);
    assert.equal(p.prelaunched, false);
    assert.ok(await eventually(() => !isRunning(pid)), 'the unused early worker is gone');
  });

  test('an early worker that died is not adopted', async () => {
    const pid = prelaunch(specFor()) as number;
    process.kill(pid, 'SIGKILL');
    assert.ok(await eventually(() => !isRunning(pid)));
    await new Promise((r) => setTimeout(r, 50)); // its exit event is seen
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo') });
    assert.equal(p.prelaunched, false);
    assert.deepEqual((await p.execute({ x: 'ok' })).echo, { x: 'ok' });
  });

  test('a spawn that fails (missing executable) is reported by the real start, not thrown at prelaunch', async () => {
    prelaunch({ ...specFor(), file: '/nonexistent/node' });
    await new Promise((r) => setTimeout(r, 50)); // its 'error' event must not crash this process
    assert.equal(adoptPrelaunched({ ...specFor(), file: '/nonexistent/node' }), null);
  });

  test('discardPrelaunched kills an early worker nobody took; so does the process exiting', async () => {
    const pid = prelaunch(specFor()) as number;
    discardPrelaunched();
    assert.ok(await eventually(() => !isRunning(pid)));
    const script = `
      const { prelaunch, workerSpawnSpec } = await import(${JSON.stringify(built('./process/worker-spawn.js'))});
      console.log(prelaunch(workerSpawnSpec({ plugin: ${JSON.stringify(fixture('echo'))}, maxFrameBytes: ${MAX_FRAME} })));
      setTimeout(() => process.exit(0), 100);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const orphan = Number(r.stdout.trim());
    assert.ok(orphan > 0);
    assert.ok(await eventually(() => !isRunning(orphan)), 'no worker outlives the process that prelaunched it');
  });

  test('plainRun reads the plugin and the home from a plain `run` only', () => {
    const env = { BULKHEAD_HOME: '/h' };
    assert.deepEqual(plainRun(['run', 'ocr', '--input', '{}'], env), { name: 'ocr', home: '/h' });
    assert.deepEqual(plainRun(['--json', '--home', '/x', 'run', 'ocr'], env), { name: 'ocr', home: '/x' });
    assert.deepEqual(plainRun(['--home=/y', 'run', 'ocr'], env), { name: 'ocr', home: '/y' });
    assert.equal(plainRun(['run', 'ocr', '--detach'], env), null);
    assert.equal(plainRun(['run', '--help'], env), null);
    assert.equal(plainRun(['jobs', 'run'], env), null);
    assert.equal(plainRun(['run'], env), null);
  });
});

describe('prelaunch from `bulkhead run`', () => {
  test('the job runs on the worker spawned before the CLI loaded; BULKHEAD_PRELAUNCH=0 turns it off', async () => {
    const src = tempHome();
    copyExample('hello', src);
    writeFileSync(join(src, 'plugins.yaml'), 'version: 1\nplugins:\n  - source: ./hello\n');
    const home = tempHome();
    const installed = await cli(home, ['install', join(src, 'plugins.yaml')]);
    assert.equal(installed.code, 0, installed.stderr);
    const log = () => readFileSync(join(home, 'logs', 'hello.log'), 'utf8');

    const run = await cli(home, ['run', 'hello', '--input', '{"name":"Early"}']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Hello, Early!/);
    assert.match(log(), /loaded \(pid \d+, \d+ ms, prelaunched\)/);

    const off = await cli(home, ['run', 'hello', '--input', '{"name":"Late"}'], {
      env: cliEnv(home, { BULKHEAD_PRELAUNCH: '0' }),
    });
    assert.equal(off.code, 0, off.stderr);
    const loads = log().match(/loaded \(pid \d+, \d+ ms(, prelaunched)?\)/g) ?? [];
    assert.equal(loads.length, 2);
    assert.equal(loads[1]?.includes('prelaunched'), false);

    // A disabled plugin is refused as before (prelaunch skips it: nothing to adopt, nothing loaded).
    assert.equal((await cli(home, ['disable', 'hello'])).code, 0);
    const refused = await cli(home, ['run', 'hello', '--input', '{}']);
    assert.notEqual(refused.code, 0);
    assert.equal((log().match(/loaded \(pid/g) ?? []).length, 2);
  });
});

after(cleanUp);
