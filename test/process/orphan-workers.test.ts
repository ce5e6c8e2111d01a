/**
 * A worker that was stopped (SIGSTOP) when its host was killed cannot notice its host is gone:
 * the next manager on the home ends it (manager/worker-records.ts), and only workers whose host
 * is dead.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { PluginManager } from 'bulkhead';
import { eventually, isRunning, repoRoot } from '../helpers.js';
import { pluginDir, tempHome } from '../manager-helpers.js';

type Control = typeof import('../../packages/host/src/control/index.js');
const control: Control = await import(
  pathToFileURL(join(repoRoot, 'packages', 'host', 'dist', 'control', 'index.js')).href
);

test('a stopped worker of a host killed with SIGKILL is ended by the next manager on the home', async (t) => {
  const dir = pluginDir([{ name: 'slow', fixture: 'slow' }]);
  const home = tempHome();
  const host = spawn(process.execPath, [join(repoRoot, 'build', 'test', 'fixtures', 'chaos-host.js'), dir, home], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => host.kill('SIGKILL'));
  await new Promise<void>((resolve) => host.stdout.on('data', (d) => String(d).includes('ready') && resolve()));
  const client = await control.connectControl(home);
  assert.ok(client);
  await client.submit('slow', { steps: 1000, stepMs: 50 });
  let pid: number | null = null;
  assert.ok(
    await eventually(() => {
      client.plugins().then(
        (ps) => {
          pid = ps.find((p) => p.name === 'slow' && p.state === 'busy')?.pid ?? null;
        },
        () => {},
      );
      return pid !== null;
    }, 30_000),
  );
  const worker = pid as unknown as number;
  // A live manager elsewhere on the home leaves the live host's worker alone.
  await new PluginManager({ home, pluginPaths: [dir] }).close();
  assert.ok(isRunning(worker), "a live host's worker is not touched");
  process.kill(worker, 'SIGSTOP');
  await client.close();
  host.kill('SIGKILL');
  await new Promise((r) => host.once('exit', r));
  assert.ok(isRunning(worker), 'stopped, it outlives its host');
  await new PluginManager({ home, pluginPaths: [dir] }).close();
  assert.ok(await eventually(() => !isRunning(worker), 10_000), 'the next manager ended it');
});
