import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PluginProcess } from 'bulkhead';
import type echo from './fixtures/plugins/echo.js';
import { fixture } from './helpers.js';

test('smoke', async () => {
  const p = await PluginProcess.start<typeof echo>({ plugin: fixture('echo') });
  const r = await p.execute({ x: 1 });
  assert.deepEqual(r, { echo: { x: 1 }, prefix: '>', repeat: 1 });
  const items = [];
  for await (const c of p.stream({ count: 5 })) items.push(c);
  assert.equal(items.length, 5);
  await p.stop();
});
