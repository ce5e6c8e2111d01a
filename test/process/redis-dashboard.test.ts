// The dashboard of a host on a Redis queue, in a real Chromium: the hosts under Resources, the host
// of a running job, and a banner while Redis is down that goes once it is back. Waits are
// Playwright's (for an element or a state), never sleeps.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BulkheadServer } from 'bulkhead/server';
import type { Browser, Page } from 'playwright-core';
import { browserMissing, launch } from '../browser.js';
import { redisMissing, TestRedis } from '../redis-helpers.js';
import { testServer } from '../server-helpers.js';

const skip = browserMissing() ?? redisMissing();
const redis = new TestRedis();
let server: BulkheadServer;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  await redis.start();
  server = await testServer({ queue: { redis: redis.url, cancelTimeoutMs: 2000 } }, [
    { name: 'slow', fixture: 'slow' },
  ]);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(60_000);
});

after(async () => {
  await browser?.close();
  await server?.close();
  await redis.stop();
});

test('Resources lists the hosts of the queue; a running job names its host', { skip }, async () => {
  await page.goto(server.urlWithToken); // the token becomes a cookie
  await page.goto(`${server.url}#/resources`);
  const backend = (await server.client.snapshot()).backend;
  assert.ok(backend);
  await page.locator(`table[data-hosts] tr[data-host="${backend.host}"]`).waitFor();
  assert.match((await page.locator(`tr[data-host="${backend.host}"]`).textContent()) ?? '', /slow/);
  await page.locator('#backend').filter({ hasText: 'Redis redis://127.0.0.1' }).waitFor();
  const id = await server.client.submit('slow', { steps: 10_000, stepMs: 20 });
  await page.goto(`${server.url}#/jobs`);
  await page.locator(`tr[data-job="${id}"] [data-host="${backend.host}"]`).waitFor();
  await server.client.cancel(id);
});

test('Redis down: a banner says so; it goes when Redis is back', { skip }, async () => {
  await page.goto(`${server.url}#/plugins`);
  await redis.stop();
  await page.locator('#banner:not([hidden])').filter({ hasText: 'is unreachable' }).waitFor();
  await redis.start();
  await page.locator('#banner[hidden]').waitFor({ state: 'attached' });
});
