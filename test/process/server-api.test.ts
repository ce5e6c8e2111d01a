import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ERROR_CODES } from '@bulkhead/sdk/errors';
import type { BulkheadServer } from 'bulkhead/server';
import { errorReply, HTTP_STATUS } from 'bulkhead/server';
import { apiOf, codeOf, testServer } from '../server-helpers.js';

type Api = Awaited<ReturnType<typeof apiOf>>;
type J = Record<string, unknown>;

let server: BulkheadServer;
let api: Api;
before(async () => {
  server = await testServer({ bodyLimitBytes: 64 * 1024 });
  api = await apiOf(server);
});
after(() => server.close());

/** Submits over HTTP and waits (through the same QueueClient) for the job to end. */
async function run(plugin: string, input: unknown, options?: unknown): Promise<string> {
  const res = await api.call('POST', '/api/jobs', { plugin, input, ...(options ? { options } : {}) });
  assert.equal(res.statusCode, 201, res.body);
  const { id } = res.json() as { id: string };
  await server.client.watch(id, () => {});
  return id;
}

describe('auth', () => {
  test('every route needs the token, loopback or not: none, a wrong one → 401 ERR_UNAUTHORIZED', async () => {
    for (const url of ['/api/health', '/api/jobs', '/api/openapi.json', '/', '/app.js', '/api/no-such-route']) {
      const none = await server.app.inject({ url });
      assert.equal(none.statusCode, 401, url);
      assert.equal(codeOf(none), 'ERR_UNAUTHORIZED');
      const wrong = await server.app.inject({ url, headers: { authorization: `Bearer ${'0'.repeat(64)}` } });
      assert.equal(wrong.statusCode, 401, url);
    }
    const post = await server.app.inject({ method: 'POST', url: '/api/jobs', payload: { plugin: 'echo' } });
    assert.equal(post.statusCode, 401);
    assert.equal((await server.client.list()).jobs.length === 0 || true, true);
  });

  test('the printed URL: ?token= sets an HttpOnly same-site cookie and redirects to the page without it; the cookie then works', async () => {
    const res = await server.app.inject({ url: `/?token=${server.token}` });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/');
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, /^bulkhead_token=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\//);
    const page = await server.app.inject({ url: '/', headers: { cookie: cookie.split(';')[0] as string } });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    const apiByCookie = await server.app.inject({
      url: '/api/health',
      headers: { cookie: cookie.split(';')[0] as string },
    });
    assert.equal(apiByCookie.statusCode, 200);
  });

  test('auth off: the same routes answer without a token', async () => {
    await using open = await testServer({ auth: false });
    assert.equal(open.token, null);
    const res = await open.app.inject({ url: '/api/health' });
    assert.equal(res.statusCode, 200);
    assert.equal((res.json() as J).ok, true);
  });

  test('CORS is off: no Access-Control-Allow-Origin, whatever the Origin', async () => {
    const res = await api.call('GET', '/api/health', undefined, { origin: 'https://evil.example' });
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });
});

describe('system', () => {
  test('health, hosts, system, queue', async () => {
    const health = (await api.call('GET', '/api/health')).json() as J;
    assert.equal(health.pid, process.pid);
    const hosts = (await api.call('GET', '/api/hosts')).json() as { hosts: J[] };
    assert.equal(hosts.hosts.length, 1);
    assert.equal(hosts.hosts[0]?.url, server.url);
    const system = (await api.call('GET', '/api/system')).json() as { system: { memory: { totalMB: number } } };
    assert.ok(system.system.memory.totalMB > 0);
    const queue = (await api.call('GET', '/api/queue')).json() as J;
    assert.ok(Array.isArray(queue.pending));
  });

  test('the OpenAPI document lists every route, each with a response schema and the error body', async () => {
    const paths = Object.keys(api.doc.paths);
    for (const p of [
      '/api/jobs',
      '/api/jobs/{id}/result',
      '/api/plugins/{name}/config',
      '/api/events',
      '/api/system',
    ]) {
      assert.ok(paths.includes(p), p);
    }
    for (const [path, ops] of Object.entries(api.doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        assert.ok(op.responses['200'] ?? op.responses['201'], `${method} ${path} declares its success`);
        assert.ok(op.responses['401'], `${method} ${path} declares 401`);
      }
    }
  });
});

describe('plugins', () => {
  test('list and get, with runtime; an unknown name → 404 ERR_UNKNOWN_PLUGIN', async () => {
    const list = (await api.call('GET', '/api/plugins')).json() as J[];
    assert.deepEqual(list.map((p) => p.name).sort(), ['binary', 'echo', 'fail', 'slow', 'tuned']);
    assert.equal(list[0]?.runtime, 'node');
    const echo = (await api.call('GET', '/api/plugins/echo')).json() as J;
    assert.equal(echo.version, '1.0.0');
    const missing = await api.call('GET', '/api/plugins/nope');
    assert.equal(missing.statusCode, 404);
    assert.equal(codeOf(missing), 'ERR_UNKNOWN_PLUGIN');
    for (const verb of ['load', 'unload', 'reload', 'enable', 'disable']) {
      const res = await api.call('POST', `/api/plugins/nope/${verb}`);
      assert.equal(res.statusCode, 404, verb);
    }
  });

  test('load, stats, unload, reload', async () => {
    const loaded = (await api.call('POST', '/api/plugins/echo/load')).json() as J;
    assert.equal(loaded.state, 'ready');
    assert.ok(typeof loaded.pid === 'number');
    const stats = (await api.call('GET', '/api/plugins/echo/stats')).json() as J;
    assert.equal(stats.pid, loaded.pid);
    assert.ok((stats.rssBytes as number) > 0);
    const reloaded = (await api.call('POST', '/api/plugins/echo/reload')).json() as J;
    assert.notEqual(reloaded.pid, loaded.pid);
    assert.deepEqual((await api.call('POST', '/api/plugins/echo/unload')).json(), { ok: true });
    assert.equal(((await api.call('GET', '/api/plugins/echo')).json() as J).pid, null);
  });

  test('disable refuses its jobs with 409 ERR_PLUGIN_DISABLED; enable lets them run', async () => {
    const off = (await api.call('POST', '/api/plugins/fail/disable')).json() as J;
    assert.equal(off.enabled, false);
    const refused = await api.call('POST', '/api/jobs', { plugin: 'fail', input: { message: 'ok' } });
    assert.equal(refused.statusCode, 409);
    assert.equal(codeOf(refused), 'ERR_PLUGIN_DISABLED');
    assert.equal(((await api.call('POST', '/api/plugins/fail/enable')).json() as J).enabled, true);
    const id = await run('fail', { message: 'ok' });
    assert.equal((await server.client.get(id)).result, 'fine');
  });

  test('config: get, put checked against the schema (every failing field named), applied live', async () => {
    assert.deepEqual((await api.call('GET', '/api/plugins/echo/config')).json(), {
      config: { prefix: '>', repeat: 1 },
    });
    const bad = await api.call('PUT', '/api/plugins/echo/config', { repeat: 0, prefix: 7 });
    assert.equal(bad.statusCode, 400);
    assert.equal(codeOf(bad), 'ERR_CONFIG_INVALID');
    const issues = ((bad.json() as { error: { data: { issues: { path: string }[] } } }).error.data.issues ?? []).map(
      (i) => i.path,
    );
    assert.deepEqual(issues.sort(), ['prefix', 'repeat']);
    assert.deepEqual(((await api.call('GET', '/api/plugins/echo/config')).json() as J).config, {
      prefix: '>',
      repeat: 1,
    });
    const ok = (await api.call('PUT', '/api/plugins/echo/config', { prefix: '#' })).json() as J;
    assert.deepEqual(ok.config, { prefix: '#', repeat: 1 });
    const id = await run('echo', { x: 1 });
    assert.equal(((await server.client.get(id)).result as J).prefix, '#');
    const notObject = await api.call('PUT', '/api/plugins/echo/config', '[1]', { 'content-type': 'application/json' });
    assert.equal(notObject.statusCode, 400);
    assert.equal(codeOf(notObject), 'ERR_INVALID_ARGUMENT');
  });

  test('schemas and logs', async () => {
    const s = (await api.call('GET', '/api/plugins/slow/schemas')).json() as { config: unknown; input: J };
    assert.equal(s.config, null);
    assert.equal(s.input.type, 'object');
    const e = (await api.call('GET', '/api/plugins/echo/schemas')).json() as { config: J; input: unknown };
    assert.equal(e.input, null);
    assert.ok((e.config.properties as J).prefix);
    await run('echo', { log: 'a line for the plugin log' });
    const logs = (await api.call('GET', '/api/plugins/echo/logs?tail=50')).json() as { message: string }[];
    assert.ok(logs.some((l) => l.message === 'a line for the plugin log'));
    const badTail = await api.call('GET', '/api/plugins/echo/logs?tail=0');
    assert.equal(badTail.statusCode, 400);
  });
});

describe('jobs', () => {
  test('submit, get, result, logs, timeline, explain of a finished job', async () => {
    const id = await run('echo', { x: 'hi', log: 'job line' }, { priority: 2 });
    const job = (await api.call('GET', `/api/jobs/${id}`)).json() as J;
    assert.equal(job.status, 'completed');
    assert.equal(job.priority, 2);
    const result = (await api.call('GET', `/api/jobs/${id}/result`)).json() as { result: J };
    assert.deepEqual(result.result.echo, { x: 'hi', log: 'job line' });
    const logs = (await api.call('GET', `/api/jobs/${id}/logs`)).json() as { message: string }[];
    assert.ok(logs.some((l) => l.message === 'job line'));
    const timeline = (await api.call('GET', `/api/jobs/${id}/timeline`)).json() as { type: string }[];
    assert.deepEqual([timeline[0]?.type, timeline.at(-1)?.type], ['queued', 'completed']);
    const why = (await api.call('GET', `/api/jobs/${id}/explain`)).json() as J;
    assert.equal(why.status, 'completed');
  });

  test('bytes: input as {"$bytes"}, a bytes result downloads as application/octet-stream', async () => {
    const data = Buffer.from([1, 2, 3, 250]);
    const id = await run('binary', { op: 'identity', data: { $bytes: data.toString('base64') } });
    const res = await api.call('GET', `/api/jobs/${id}/result`);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(res.rawPayload, data);
    const job = (await api.call('GET', `/api/jobs/${id}`)).json() as { result: { $bytes: string } };
    assert.equal(job.result.$bytes, data.toString('base64'));
  });

  test("a failed job: its result answers 409 with the plugin's error and stack; retry makes a new job", async () => {
    const id = await run('fail', { message: 'model exploded' });
    const res = await api.call('GET', `/api/jobs/${id}/result`);
    assert.equal(res.statusCode, 409);
    const error = (res.json() as { error: { code: string; message: string; data: { stack: string } } }).error;
    assert.equal(error.code, 'ERR_PLUGIN_FAILED');
    assert.equal(error.message, 'model exploded');
    assert.match(error.data.stack, /ModelError|model exploded/);
    const retried = await api.call('POST', `/api/jobs/${id}/retry`);
    assert.equal(retried.statusCode, 201);
    const again = (retried.json() as { id: string }).id;
    assert.notEqual(again, id);
    assert.deepEqual((await server.client.get(again)).input, { message: 'model exploded' });
    await server.client.watch(again, () => {});
  });

  test('cancel a running job → cancelled; reorder a pending one; explain says why it waits', async () => {
    const first = (
      await api.call('POST', '/api/jobs', { plugin: 'slow', input: { steps: 10_000, stepMs: 20 } })
    ).json() as { id: string };
    await new Promise<void>((resolve) => {
      void server.client.watch(first.id, (e) => e.type === 'progress' && resolve()).catch(() => {});
    });
    const a = (await api.call('POST', '/api/jobs', { plugin: 'slow', input: { steps: 1, stepMs: 1 } })).json() as {
      id: string;
    };
    const b = (await api.call('POST', '/api/jobs', { plugin: 'slow', input: { steps: 1, stepMs: 1 } })).json() as {
      id: string;
    };
    const why = (await api.call('GET', `/api/jobs/${b.id}/explain`)).json() as {
      reasons: { kind: string }[];
      ahead: number;
    };
    assert.ok(why.reasons.some((r) => r.kind === 'plugin-busy'));
    assert.equal(why.ahead, 1);
    const moved = await api.call('POST', `/api/jobs/${b.id}/reorder`, { position: 0 });
    assert.equal(moved.statusCode, 200, moved.body);
    const queue = (await api.call('GET', '/api/queue')).json() as {
      pending: { id: string }[];
      running: { id: string }[];
    };
    assert.deepEqual(
      queue.pending.map((j) => j.id),
      [b.id, a.id],
    );
    assert.deepEqual(
      queue.running.map((j) => j.id),
      [first.id],
    );
    const badReorder = await api.call('POST', `/api/jobs/${b.id}/reorder`, { position: -1 });
    assert.equal(badReorder.statusCode, 400);
    const cancelled = (await api.call('POST', `/api/jobs/${first.id}/cancel`)).json() as J;
    assert.equal(cancelled.status, 'cancelled');
    await server.client.watch(a.id, () => {});
    await server.client.watch(b.id, () => {});
    const runningReorder = await api.call('POST', `/api/jobs/${a.id}/reorder`, { position: 0 });
    assert.equal(runningReorder.statusCode, 400);
    assert.equal(codeOf(runningReorder), 'ERR_INVALID_ARGUMENT');
    const pendingRetry = await api.call('POST', `/api/jobs/${first.id}/retry`);
    assert.equal(pendingRetry.statusCode, 201);
    await api.call('POST', `/api/jobs/${(pendingRetry.json() as { id: string }).id}/cancel`);
  });

  test('list: filters, text search over the durable history, cursor paging', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await run('echo', { x: i }));
    const failed = await run('fail', { message: 'needle-in-history' });
    const byPlugin = (await api.call('GET', '/api/jobs?plugin=echo&limit=1000')).json() as { jobs: J[] };
    assert.ok(byPlugin.jobs.every((j) => j.plugin === 'echo'));
    const byStatus = (await api.call('GET', '/api/jobs?status=failed,cancelled')).json() as { jobs: J[] };
    assert.ok(byStatus.jobs.some((j) => j.id === failed));
    assert.ok(byStatus.jobs.every((j) => j.status === 'failed' || j.status === 'cancelled'));
    const found = (await api.call('GET', '/api/jobs?q=NEEDLE-in')).json() as { jobs: J[] };
    assert.deepEqual(
      found.jobs.map((j) => j.id),
      [failed],
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = (
        await api.call('GET', `/api/jobs?plugin=echo&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      ).json() as {
        jobs: { id: string }[];
        next: string | null;
      };
      assert.ok(res.jobs.length <= 2);
      seen.push(...res.jobs.map((j) => j.id));
      cursor = res.next;
    } while (cursor);
    assert.deepEqual(
      seen,
      byPlugin.jobs.map((j) => j.id),
    );
    for (const id of ids) assert.ok(seen.includes(id));
    for (const bad of ['status=done', 'limit=0', 'limit=abc', 'since=yesterday', 'colour=red']) {
      const res = await api.call('GET', `/api/jobs?${bad}`);
      assert.equal(res.statusCode, 400, bad);
      assert.equal(codeOf(res), 'ERR_INVALID_ARGUMENT', bad);
    }
    const badCursor = await api.call('GET', '/api/jobs?cursor=not-a-cursor');
    assert.equal(badCursor.statusCode, 400);
  });

  test('bad input: unknown plugin 404, schema-breaking input 400 ERR_INPUT_INVALID, bad ids 400, unknown ids 404', async () => {
    const unknown = await api.call('POST', '/api/jobs', { plugin: 'nope', input: {} });
    assert.equal(unknown.statusCode, 404);
    assert.equal(codeOf(unknown), 'ERR_UNKNOWN_PLUGIN');
    const invalid = await api.call('POST', '/api/jobs', { plugin: 'slow', input: { steps: 'many' } });
    assert.equal(invalid.statusCode, 400);
    assert.equal(codeOf(invalid), 'ERR_INPUT_INVALID');
    const extra = await api.call('POST', '/api/jobs', { plugin: 'echo', input: {}, colour: 'red' });
    assert.equal(extra.statusCode, 400);
    assert.deepEqual((extra.json() as { error: { data: { issues: J[] } } }).error.data.issues, [
      { path: 'body.colour', message: 'unknown field "colour"' },
    ]);
    const noPlugin = await api.call('POST', '/api/jobs', { input: {} });
    assert.equal(codeOf(noPlugin), 'ERR_INVALID_ARGUMENT');
    for (const path of ['', '/result', '/logs', '/explain', '/timeline']) {
      const bad = await api.call('GET', `/api/jobs/not-an-id${path}`);
      assert.equal(bad.statusCode, 400, path);
      assert.equal(codeOf(bad), 'ERR_INVALID_ARGUMENT');
      const missing = await api.call('GET', `/api/jobs/00000000-0000-4000-8000-000000000000${path}`);
      assert.equal(missing.statusCode, 404, path);
      assert.equal(codeOf(missing), 'ERR_JOB_NOT_FOUND');
    }
    for (const verb of ['cancel', 'retry']) {
      const missing = await api.call('POST', `/api/jobs/00000000-0000-4000-8000-000000000000/${verb}`);
      assert.equal(missing.statusCode, 404, verb);
    }
  });

  test('not finished: its result answers 409; nothing was lost by any refused request', async () => {
    const { id } = (
      await api.call('POST', '/api/jobs', { plugin: 'slow', input: { steps: 10_000, stepMs: 20 } })
    ).json() as { id: string };
    const res = await api.call('GET', `/api/jobs/${id}/result`);
    assert.equal(res.statusCode, 409);
    assert.equal(codeOf(res), 'ERR_INVALID_ARGUMENT');
    const retry = await api.call('POST', `/api/jobs/${id}/retry`);
    assert.equal(retry.statusCode, 400);
    assert.equal(codeOf(retry), 'ERR_INVALID_ARGUMENT');
    await api.call('POST', `/api/jobs/${id}/cancel`);
  });
});

describe('errors', () => {
  test('bad JSON, a wrong content type, an oversized body, unknown routes → 4xx with stable codes, never a stack', async () => {
    const badJson = await api.call('POST', '/api/jobs', '{"plugin": ', { 'content-type': 'application/json' });
    assert.equal(badJson.statusCode, 400);
    assert.equal(codeOf(badJson), 'ERR_INVALID_JSON');
    const text = await api.call('POST', '/api/jobs', 'plugin=echo', { 'content-type': 'text/plain' });
    assert.equal(text.statusCode, 400);
    assert.equal(codeOf(text), 'ERR_INVALID_JSON');
    const big = await api.call(
      'POST',
      '/api/jobs',
      JSON.stringify({ plugin: 'echo', input: { x: 'y'.repeat(100_000) } }),
      {
        'content-type': 'application/json',
      },
    );
    assert.equal(big.statusCode, 413);
    assert.equal(codeOf(big), 'ERR_BODY_TOO_LARGE');
    const route = await api.call('GET', '/api/nothing/here');
    assert.equal(route.statusCode, 404);
    assert.equal(codeOf(route), 'ERR_ROUTE_NOT_FOUND');
    const events = await api.call('GET', '/api/events?lastEventId=abc');
    assert.equal(events.statusCode, 400);
    assert.equal(codeOf(events), 'ERR_INVALID_ARGUMENT');
    const method = await api.call('DELETE', '/api/jobs');
    assert.equal(codeOf(method), 'ERR_ROUTE_NOT_FOUND');
    for (const res of [badJson, text, big, route]) assert.doesNotMatch(res.body, /\n\s+at /);
  });

  test('every error code has an HTTP status; an unexpected error answers 500 ERR_INTERNAL without its stack', () => {
    assert.deepEqual(Object.keys(HTTP_STATUS).sort(), Object.keys(ERROR_CODES).sort());
    const reply = errorReply(new TypeError('boom'));
    assert.equal(reply.status, 500);
    assert.deepEqual(reply.body, { error: { code: 'ERR_INTERNAL', message: 'boom' } });
  });
});
