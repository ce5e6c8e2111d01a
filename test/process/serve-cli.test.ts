import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BulkheadClient } from 'bulkhead/client';
import { cleanUp, cli, finished, start, tempHome, until } from '../cli-helpers.js';
import { pluginDir } from '../manager-helpers.js';
import { SERVER_PLUGINS } from '../server-helpers.js';

after(cleanUp);

interface Ready {
  ready: true;
  url: string;
  urlWithToken: string;
  port: number;
  pid: number;
}

async function serveIn(home: string, env: NodeJS.ProcessEnv) {
  const child = start(home, ['serve', '--port', '0', '--json'], { env });
  await until(child, (o) => o.stdout.includes('\n'), 60_000);
  const ready = JSON.parse(child.out.stdout.split('\n')[0] as string) as Ready;
  return { child, ready };
}

test('bulkhead serve: a readiness line with the URL; CLI commands attach to it; SIGTERM hands running jobs back and exits 0', async () => {
  const home = tempHome();
  const env = { BULKHEAD_PLUGIN_PATH: pluginDir(SERVER_PLUGINS) };
  const { child, ready } = await serveIn(home, env);
  assert.equal(ready.ready, true);
  assert.match(ready.urlWithToken, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
  assert.equal(statSync(join(home, 'run', 'server-token')).mode & 0o777, 0o600);

  // A CLI command runs its job in the serve process, which the HTTP API then shows.
  const run = await cli(home, ['run', 'echo', '--input', '{"x": 42}', '--json'], { env });
  assert.equal(run.code, 0, run.stderr);
  const bh = new BulkheadClient({ url: ready.urlWithToken });
  const { jobs } = await bh.list({ plugin: 'echo' });
  assert.equal(jobs.length, 1);
  assert.deepEqual(jobs[0]?.input, { x: 42 });

  // A running job goes back to pending when serve stops, by the queue's rules.
  const id = await bh.submit('slow', { steps: 100_000, stepMs: 20 });
  await new Promise<void>((resolve) => {
    void bh.wait(id, { onProgress: () => resolve() }).catch(() => {});
  });
  child.kill('SIGTERM');
  const end = await finished(child, 60_000);
  assert.equal(end.code, 0, end.stderr);
  const show = await cli(home, ['jobs', 'show', id, '--json'], { env });
  const job = JSON.parse(show.stdout) as { status: string; timeline: { type: string }[] };
  assert.equal(job.status, 'pending');
  assert.ok(job.timeline.some((e) => e.type === 'interrupted'));
});

test('bulkhead serve refuses to listen beyond loopback without TLS or --insecure', async () => {
  const home = tempHome();
  const res = await cli(home, ['serve', '--host', '0.0.0.0', '--port', '0', '--json']);
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /ERR_INSECURE_BIND/);
  const half = await cli(home, ['serve', '--tls-cert', 'x.pem']);
  assert.equal(half.code, 2);
});
