// The same front doors on a queue shared through Redis: config (queue.redis, BULKHEAD_REDIS_URL),
// the HTTP API, the CLI and doctor, against a real redis-server; and what each says when Redis is down.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk';
import { loadHostConfig, openJobQueue, PluginManager, queueOptionsOf } from 'bulkhead';
import { RedisJobQueue } from 'bulkhead/redis';
import { cleanUp, cli, tempHome as cliHome } from '../cli-helpers.js';
import { pluginDir, tempHome } from '../manager-helpers.js';
import { redisMissing, TestRedis } from '../redis-helpers.js';
import { apiOf, testServer } from '../server-helpers.js';

// doctor is not part of the package's public entry: load the built module beside it.
const { runDoctor } = (await import(
  new URL('./cli/doctor.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../../packages/host/src/cli/doctor.js');

describe('front doors on a Redis queue', { skip: redisMissing() }, () => {
  const redis = new TestRedis();
  const plugins = pluginDir([{ name: 'echo', fixture: 'echo' }]);
  before(() => redis.start());
  after(async () => {
    cleanUp();
    await redis.stop();
  });

  test('queue.redis in config.yaml (or BULKHEAD_REDIS_URL) picks the Redis queue; a bad URL is a config error', async () => {
    const home = tempHome();
    writeFileSync(join(home, 'config.yaml'), `queue:\n  redis: ${redis.url}/1\n`);
    const config = await loadHostConfig(home, {});
    assert.equal(config.values['queue.redis'], `${redis.url}/1`);
    const manager = new PluginManager({ pluginPaths: [plugins], home });
    const queue = await openJobQueue({ manager, ...queueOptionsOf(config), control: false });
    assert.ok(queue instanceof RedisJobQueue);
    await queue.stop();
    await manager.close();
    await assert.rejects(
      loadHostConfig(home, { BULKHEAD_REDIS_URL: 'http://nope' }),
      (e) =>
        isBulkheadError(e, 'ERR_HOST_CONFIG_INVALID') &&
        /BULKHEAD_REDIS_URL \(queue\.redis\) must be a redis:\/\//.test(e.message),
    );
  });

  test('doctor: the version and maxmemory-policy of the Redis in config.yaml', async () => {
    const home = tempHome();
    writeFileSync(join(home, 'config.yaml'), `queue:\n  redis: ${redis.url}\n`);
    const check = (await runDoctor({ home, env: {} })).find((c) => c.id === 'redis');
    assert.equal(check?.status, 'ok', check?.detail);
    assert.match(
      check?.detail ?? '',
      /^Redis \d+\.\d+\.\d+ at 127\.0\.0\.1:\d+, PONG in \d+ ms, maxmemory-policy noeviction$/,
    );
  });

  test('HTTP API: jobs say which host runs them; /api/hosts lists every host with its plugins and resources', async () => {
    const server = await testServer({ queue: { redis: `${redis.url}/2`, cancelTimeoutMs: 2000 } }, [
      { name: 'echo', fixture: 'echo' },
    ]);
    try {
      const { call } = await apiOf(server);
      const { id } = (await call('POST', '/api/jobs', { plugin: 'echo', input: { x: 1 } })).json() as { id: string };
      await server.client.queue.wait(id);
      const job = (await call('GET', `/api/jobs/${id}`)).json() as { status: string; host: string };
      assert.equal(job.status, 'completed');
      const hosts = (await call('GET', '/api/hosts')).json() as {
        backend: { connected: boolean; host: string; hosts: { id: string; plugins: string[]; resources: object }[] };
      };
      assert.equal(hosts.backend.connected, true);
      assert.equal(job.host, hosts.backend.host);
      const me = hosts.backend.hosts.find((h) => h.id === job.host);
      assert.deepEqual(me?.plugins, ['echo']);
      assert.ok('memory' in (me?.resources ?? {}));
    } finally {
      await server.close();
    }
  });

  test('CLI: `jobs` shows the host of each job and the hosts; with Redis unreachable it says so, with the code', async () => {
    const home = cliHome();
    const env = { BULKHEAD_PLUGIN_PATH: plugins, BULKHEAD_REDIS_URL: `${redis.url}/3` };
    const run = await cli(home, ['run', 'echo', '--json'], { env });
    assert.equal(run.code, 0, run.stderr);
    const listed = await cli(home, ['jobs'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /HOST/);
    assert.match(listed.stdout, /Hosts on redis:\/\/127\.0\.0\.1:\d+\/3/);
    const dead = new TestRedis();
    await dead.start();
    await dead.stop();
    const down = await cli(home, ['jobs', '--json'], { env: { ...env, BULKHEAD_REDIS_URL: dead.url } });
    assert.equal(down.code, 1);
    const error = (JSON.parse(down.stderr) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'ERR_REDIS_UNAVAILABLE');
    assert.match(error.message, new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${dead.port}`));
  });

  test("CLI: `run` on a busy shared queue ends with its own job (it does not stay for other hosts' work)", async () => {
    const url = `${redis.url}/4`;
    // Another host, busy: one long job running, one waiting behind it.
    const manager = new PluginManager({
      pluginPaths: [pluginDir([{ name: 'slow', fixture: 'slow' }])],
      home: tempHome(),
    });
    const busy = await RedisJobQueue.open({ manager, redis: url, control: false });
    await busy.start();
    const started = new Promise<void>((r) => busy.once('progress', () => r()));
    const long = await busy.submit('slow', { steps: 100_000, stepMs: 10 });
    await busy.submit('slow', { steps: 1, stepMs: 1 });
    await started;
    try {
      const home = cliHome();
      const run = await cli(home, ['run', 'echo', '--json'], {
        env: { BULKHEAD_PLUGIN_PATH: plugins, BULKHEAD_REDIS_URL: url },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal((await busy.get(long)).status, 'running');
    } finally {
      await busy.cancel(long);
      await busy.stop();
      await manager.close();
    }
  });
});
