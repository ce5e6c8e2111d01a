/**
 * How a worker's failure reads: a heap OOM is ERR_WORKER_OOM with its limit and peak (not V8's
 * last native frame), an uncaught error's message and stack come through (not `Node.js v24…`),
 * and thrown objects keep their code and own fields as data.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBulkheadError, PluginProcess } from 'bulkhead';
import { fixture } from '../helpers.js';

const start = (execArgv: string[] = []) => PluginProcess.start({ plugin: fixture('dies-badly'), execArgv });

test('a heap OOM is ERR_WORKER_OOM with the limit and the peak', async () => {
  await using p = await start(['--max-old-space-size=64']);
  await assert.rejects(p.execute({ how: 'oom' }), (e) => {
    assert.ok(isBulkheadError(e, 'ERR_WORKER_OOM'), String(e));
    assert.equal(e.data.limitMB, 64);
    assert.ok((e.data.peakMB ?? 0) > 30, `peak ${e.data.peakMB}`);
    assert.match(e.message, /ran out of memory \(its heap limit of 64 MB, peak \d+(\.\d+)? MB\)/);
    assert.doesNotMatch(e.message, /0x[0-9a-f]+/);
    return true;
  });
});

test("an uncaught error's message and stack are the summary, not the last stderr line", async () => {
  await using p = await start();
  await assert.rejects(p.execute({ how: 'uncaught' }), (e) => {
    assert.ok(isBulkheadError(e, 'ERR_WORKER_EXITED'), String(e));
    assert.match(e.message, /^worker exited with code 1: RangeError: the flux capacitor overflowed$/);
    assert.match(e.data.uncaught?.stack ?? '', /RangeError: the flux capacitor overflowed\n\s+at /);
    return true;
  });
});

test('a thrown plain object keeps its code and fields; an Error keeps its own fields', async () => {
  await using p = await start();
  await assert.rejects(p.execute({ how: 'object' }), (e) => {
    assert.ok(isBulkheadError(e, 'ERR_PLUGIN_FAILED'), String(e));
    assert.equal(e.data.pluginCode, 'E_QUOTA');
    assert.deepEqual(e.data.fields, { status: 429, retryAfter: 30 });
    assert.doesNotMatch(e.message, /\[object Object\]/);
    return true;
  });
  await assert.rejects(p.execute({ how: 'error-with-fields' }), (e) => {
    assert.ok(isBulkheadError(e, 'ERR_PLUGIN_FAILED'), String(e));
    assert.equal(e.message, 'upstream said no');
    assert.equal(e.data.pluginCode, 'E_UPSTREAM');
    assert.deepEqual(e.data.fields, { status: 502, body: { why: 'down' } });
    return true;
  });
});
