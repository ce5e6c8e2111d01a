/**
 * `bulkhead doctor` asks a live host that owns the job database whether it answers: a stopped
 * (SIGSTOP) host is a failure that says how to resume it; a running one answers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { tempDir } from '../helpers.js';

const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const { runDoctor } = (await import(
  built('./cli/doctor.js')
)) as typeof import('../../packages/host/src/cli/doctor.js');
const noCommands = async () => ({ code: 127, stdout: '', stderr: 'not here' });

test('a stopped host is named, with how to resume it; once resumed it answers', async (t) => {
  const home = tempDir('bulkhead-doctor-host-');
  const script = `
    const { JobQueue, PluginManager } = await import(process.env.HOST_URL);
    const manager = new PluginManager({ home: process.env.HOME_DIR, pluginPaths: [], liveness: { pingIntervalMs: 0 } });
    const queue = await JobQueue.open({ manager, durability: 'process' });
    await queue.start();
    console.log('ready');
    process.stdin.on('end', async () => { await queue.stop(); await manager.close(); });
    process.stdin.resume();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, HOST_URL: import.meta.resolve('bulkhead'), HOME_DIR: home },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'ready');
  const control = async () =>
    (await runDoctor({ home, env: {}, runCommand: noCommands as never, timeoutMs: 1000 })).find(
      (c) => c.id === 'control',
    );

  process.kill(child.pid as number, 'SIGSTOP');
  const stopped = await control();
  process.kill(child.pid as number, 'SIGCONT');
  assert.equal(stopped?.status, 'fail', stopped?.detail);
  assert.match(
    stopped?.detail ?? '',
    new RegExp(`host \\(pid ${child.pid}\\) owns the job database but does not answer .*stopped \\(SIGSTOP\\)`),
  );
  assert.equal(stopped?.fix, `resume it (kill -CONT ${child.pid})`);

  const running = await control();
  assert.equal(running?.status, 'ok', running?.detail);
  assert.match(running?.detail ?? '', /it answers on its control socket$/);
  child.stdin!.end();
});
