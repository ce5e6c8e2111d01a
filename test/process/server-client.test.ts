import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk';
import { BulkheadClient } from 'bulkhead/client';
import { testServer } from '../server-helpers.js';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    assert.ok(isBulkheadError(e), String(e));
    assert.equal(e.code, code, e.message);
    return e.data as Record<string, unknown>;
  }
  assert.fail(`expected ${code}`);
}

test('bulkhead/client: submit, wait with progress, result (bytes as bytes), cancel, errors with their codes', async () => {
  await using server = await testServer();
  const bh = new BulkheadClient({ url: server.urlWithToken });
  assert.equal((await bh.health()).ok, true);
  assert.deepEqual((await bh.plugins()).map((p) => p.name).sort(), ['binary', 'echo', 'fail', 'slow', 'tuned']);

  const progress: (number | undefined)[] = [];
  const id = await bh.submit('slow', { steps: 4, stepMs: 5 });
  const job = await bh.wait(id, { onProgress: (p) => progress.push(p.fraction) });
  assert.equal(job.status, 'completed');
  assert.equal(await bh.result(id), 'done');
  assert.deepEqual(progress.slice(-1), [1]);

  const data = new Uint8Array([0, 1, 2, 255]);
  const bin = await bh.submit('binary', { op: 'identity', data });
  await bh.wait(bin);
  assert.deepEqual(await bh.result(bin), data);
  const described = await bh.submit('binary', { op: 'describe', data });
  await bh.wait(described);
  assert.deepEqual(((await bh.result(described)) as { isUint8: boolean }).isUint8, true);

  const long = await bh.submit('slow', { steps: 100_000, stepMs: 20 });
  await new Promise<void>((resolve) => {
    void bh.wait(long, { onProgress: () => resolve() }).catch(() => {});
  });
  assert.equal((await bh.cancel(long)).status, 'cancelled');

  const failed = await bh.submit('fail', { message: 'nope' });
  assert.equal((await bh.wait(failed)).status, 'failed');
  await rejectsWith(bh.result(failed), 'ERR_PLUGIN_FAILED');
  await rejectsWith(bh.get('00000000-0000-4000-8000-000000000000'), 'ERR_JOB_NOT_FOUND');
  await rejectsWith(bh.submit('nope', {}), 'ERR_UNKNOWN_PLUGIN');
  const data2 = await rejectsWith(bh.setConfig('echo', { repeat: 0 }), 'ERR_CONFIG_INVALID');
  assert.deepEqual(
    (data2.issues as { path: string }[]).map((i) => i.path),
    ['repeat'],
  );
  assert.equal((await bh.setConfig('echo', { repeat: 2 })).config.repeat, 2);
  const page = await bh.list({ plugin: 'slow', limit: 1 });
  assert.equal(page.jobs.length, 1);
  assert.ok(page.next);
  await rejectsWith(new BulkheadClient({ url: server.url }).health(), 'ERR_UNAUTHORIZED');
});
