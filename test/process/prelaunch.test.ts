import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PluginProcess } from 'bulkhead';
import { cleanUp, cli, cliEnv, tempHome } from '../cli-helpers.js';
import type echo from '../fixtures/plugins/echo.js';
import { eventually, fixture, isRunning } from '../helpers.js';
import { pluginDir } from '../manager-helpers.js';

// Internal modules, loaded from the build beside the package's entry.
const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const { prelaunch, workerSpawnSpec } = (await import(
  built('./process/worker-spawn.js')
)) as typeof import('../../packages/host/src/process/worker-spawn.js');
const { plainRun } = (await import(
  built('./cli/prelaunch-run.js')
)) as typeof import('../../packages/host/src/cli/prelaunch-run.js');

const MAX_FRAME = 256 * 1024 * 1024; // PluginProcess's default
const specFor = (env: Record<string, string> = {}) =>
  workerSpawnSpec({ plugin: fixture('echo'), env, maxFrameBytes: MAX_FRAME });

describe('prelaunch: a worker spawned early, taken over only by an identical start', () => {
  test('a start handed the prelaunched worker, with the same spec, adopts it and works normally', async () => {
    const early = prelaunch(specFor({ MARK: 'a' }));
    const pid = early.pid;
    assert.ok(pid);
    await using p = await PluginProcess.start<typeof echo>({
      plugin: fixture('echo'),
      env: { MARK: 'a' },
      prelaunched: early,
    });
    assert.equal(p.pid, pid);
    assert.equal(typeof p.prelaunchedAt, 'number');
    assert.deepEqual((await p.execute({ x: 'hi' })).echo, { x: 'hi' });
    // Used once: handed again, it gives nothing, and the start spawns its own.
    await using q = await PluginProcess.start<typeof echo>({
      plugin: fixture('echo'),
      env: { MARK: 'a' },
      prelaunched: early,
    });
    assert.notEqual(q.pid, pid);
    assert.equal(q.prelaunchedAt, undefined);
  });

  test('a start it was not handed to never takes it: there is no slot every spawn reads', async () => {
    const early = prelaunch(specFor({ MARK: 'a' }));
    const pid = early.pid as number;
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo'), env: { MARK: 'a' } });
    assert.notEqual(p.pid, pid);
    assert.equal(p.prelaunchedAt, undefined);
    assert.ok(isRunning(pid), 'still there for the start it is meant for');
    early.discard();
    assert.ok(await eventually(() => !isRunning(pid)));
  });

  test('any difference (here one environment variable) kills the early worker and spawns a fresh one', async () => {
    const early = prelaunch(specFor({ MARK: 'a' }));
    const pid = early.pid as number;
    await using p = await PluginProcess.start<typeof echo>({
      plugin: fixture('echo'),
      env: { MARK: 'b' },
      prelaunched: early,
    });
    assert.notEqual(p.pid, pid);
    assert.equal(p.prelaunchedAt, undefined);
    assert.ok(await eventually(() => !isRunning(pid)), 'the unused early worker is gone');
  });

  test('an early worker that died is not adopted', async () => {
    const early = prelaunch(specFor());
    const pid = early.pid as number;
    process.kill(pid, 'SIGKILL');
    assert.deepEqual(await early.exited, { exitCode: null, signal: 'SIGKILL' });
    assert.ok(!isRunning(pid));
    await using p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo'), prelaunched: early });
    assert.equal(p.prelaunchedAt, undefined);
    assert.deepEqual((await p.execute({ x: 'ok' })).echo, { x: 'ok' });
  });

  test('a spawn that fails (missing executable) is reported by the real start, not thrown at prelaunch', async () => {
    const early = prelaunch({ ...specFor(), file: '/nonexistent/node' });
    // Its 'error' event has been emitted by now (heard, so this process did not crash).
    const exit = await early.exited;
    assert.equal((exit.error as NodeJS.ErrnoException | undefined)?.code, 'ENOENT');
    assert.equal(early.adopt({ ...specFor(), file: '/nonexistent/node' }), null);
  });

  // `sleep` ignores fd 3, so it lives on unless it is killed: these see the kill itself, not a
  // worker leaving because its channel closed.
  const sleeper = { file: '/bin/sleep', args: ['30'], cwd: '/', env: {} };

  test('discard() kills an early worker nobody took', async () => {
    const early = prelaunch(sleeper);
    const pid = early.pid as number;
    assert.ok(isRunning(pid));
    early.discard();
    assert.ok(await eventually(() => !isRunning(pid)));
  });

  test('a prelaunched worker nobody took is killed when its process exits', async () => {
    const script = `
      const { prelaunch } = await import(${JSON.stringify(built('./process/worker-spawn.js'))});
      console.log(prelaunch(${JSON.stringify(sleeper)}).pid);
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const orphan = Number(r.stdout.trim());
    assert.ok(orphan > 0);
    assert.ok(await eventually(() => !isRunning(orphan)), 'no worker outlives the process that prelaunched it');
  });

  test('a mismatched start kills the early worker itself (not only its channel)', async () => {
    const early = prelaunch(sleeper);
    const pid = early.pid as number;
    assert.equal(early.adopt(specFor()), null);
    assert.ok(await eventually(() => !isRunning(pid)));
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
  // Preloaded into the CLI (and, harmlessly, its workers) through NODE_OPTIONS: logs every worker
  // the process spawns, at the spawn, so a worker killed before it got anywhere is counted too.
  const RECORDER = `
    const cp = require('node:child_process');
    const { appendFileSync } = require('node:fs');
    const spawn = cp.spawn;
    cp.spawn = function (file, args, ...rest) {
      const child = spawn.call(this, file, args, ...rest);
      if ((args ?? []).some((a) => String(a).includes('worker'))) appendFileSync(process.env.SPAWN_LOG, child.pid + '\\n');
      return child;
    };
    require('node:module').syncBuiltinESMExports();
  `;

  test('the job runs on the one worker spawned before the CLI loaded, and none outlives the CLI', async () => {
    const home = tempHome();
    const plugins = pluginDir([
      { name: 'early', fixture: 'echo' },
      { name: 'heavy', fixture: 'echo', resources: { memoryMB: 128 } },
      { name: 'off', fixture: 'echo' },
    ]);
    const recorder = join(home, 'record-spawns.cjs');
    writeFileSync(recorder, RECORDER);
    const spawnLog = join(home, 'spawns');
    const env = (extra: NodeJS.ProcessEnv = {}) =>
      cliEnv(home, {
        BULKHEAD_PLUGIN_PATH: plugins,
        SPAWN_LOG: spawnLog,
        NODE_OPTIONS: `--require ${JSON.stringify(recorder)}`,
        ...extra,
      });
    const log = (name: string) => readFileSync(join(home, 'logs', `${name}.log`), 'utf8');
    const runOnce = async (name: string, extra: NodeJS.ProcessEnv = {}) => {
      writeFileSync(spawnLog, '');
      const r = await cli(home, ['run', name, '--json', '--input', '{"x":1}'], { env: env(extra) });
      const pids = readFileSync(spawnLog, 'utf8').split('\n').filter(Boolean).map(Number);
      for (const pid of pids) assert.ok(await eventually(() => !isRunning(pid)), `worker ${pid} outlived the CLI`);
      return { ...r, pids };
    };

    const run = await runOnce('early');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.pids.length, 1, 'one worker, spawned early and adopted');
    assert.deepEqual(JSON.parse(run.stdout).result.echo, { x: 1 });
    assert.match(log('early'), new RegExp(`loaded \\(pid ${run.pids[0]}, \\d+ ms, prelaunched\\)`));

    // `run --stream` calls the plugin directly, through a manager of its own: handed the same worker.
    writeFileSync(spawnLog, '');
    const streamed = await cli(home, ['run', 'early', '--stream', '--json', '--input', '{"count":2}'], { env: env() });
    assert.equal(streamed.code, 0, streamed.stderr);
    const streamPids = readFileSync(spawnLog, 'utf8').split('\n').filter(Boolean).map(Number);
    assert.equal(streamPids.length, 1, 'one worker, spawned early and adopted by the stream');
    assert.match(log('early'), new RegExp(`loaded \\(pid ${streamPids[0]}, \\d+ ms, prelaunched\\)`));
    for (const pid of streamPids) assert.ok(await eventually(() => !isRunning(pid)), `worker ${pid} outlived the CLI`);

    const off = await runOnce('early', { BULKHEAD_PRELAUNCH: '0' });
    assert.equal(off.code, 0, off.stderr);
    assert.equal(off.pids.length, 1);
    assert.match(log('early'), new RegExp(`loaded \\(pid ${off.pids[0]}, \\d+ ms\\)`));

    // Declared resources: the scheduler decides when it loads, so nothing starts before that.
    const heavy = await runOnce('heavy');
    assert.equal(heavy.code, 0, heavy.stderr);
    assert.equal(heavy.pids.length, 1);
    assert.doesNotMatch(log('heavy'), /prelaunched/);

    // Disabled: refused as before, and no worker was started for it at all.
    assert.equal((await cli(home, ['disable', 'off'], { env: env() })).code, 0);
    const refused = await runOnce('off');
    assert.notEqual(refused.code, 0);
    assert.deepEqual(refused.pids, []);
  });
});

after(cleanUp);
