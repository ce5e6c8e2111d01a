import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { BulkheadServer } from 'bulkhead/server';
import type { Browser, Page } from 'playwright-core';
import { browserMissing, launch } from '../browser.js';
import { repoRoot, sourceFixture, tempDir } from '../helpers.js';
import { pluginDir } from '../manager-helpers.js';
import { SERVER_PLUGINS, testServer } from '../server-helpers.js';

/** nvidia-smi answered from the real H100 captures (one process holding ~6 GB), so the page has a GPU to show. */
async function smi(_file: string, args: readonly string[]) {
  const capture = args.some((a) => a.startsWith('--query-gpu')) ? 'query-gpu-busy.csv' : 'query-apps-busy.csv';
  return { stdout: readFileSync(sourceFixture('nvidia-smi', capture), 'utf8'), stderr: '', exitCode: 0 };
}
const PLUGINS = [
  ...SERVER_PLUGINS,
  { name: 'gpu-job', fixture: 'slow', resources: { gpuMemoryMB: 2048 } },
  { name: 'log-on-cue', fixture: 'log-on-cue' },
];

// The dashboard end to end in a real Chromium, against a real server with real plugin workers.
// Waits are Playwright's (for an element or a state), never sleeps. Screenshots go to a temp
// dir, or to docs/screenshots/ with BULKHEAD_SCREENSHOTS=1 (`npm run screenshots`).
const missing = browserMissing();
const shots =
  process.env.BULKHEAD_SCREENSHOTS === '1' ? resolve(repoRoot, 'docs', 'screenshots') : tempDir('bulkhead-shots-');
mkdirSync(shots, { recursive: true });

let server: BulkheadServer;
let browser: Browser;
let page: Page;

before(async () => {
  if (missing) return;
  server = await testServer(
    { sampleMs: 500, manager: { pluginPaths: [pluginDir(PLUGINS)], liveness: { pingIntervalMs: 0 }, runCommand: smi } },
    PLUGINS,
  );
  // History to search: one failed job with a word to find, and a few others.
  // More than a page of history (50 rows), to page through.
  const many = await server.client.queue.submitMany(
    Array.from({ length: 60 }, (_, x) => ({ plugin: 'echo', input: { x } })),
  );
  for (const id of many) await server.client.watch(id, () => {});
  await server.client.watch(await server.client.submit('fail', { message: 'a model ran out of patience' }), () => {});
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(60_000);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

test('opens with the token URL (kept as a cookie, taken out of the address) and shows the plugins', {
  skip: missing ?? false,
}, async () => {
  await page.goto(server.urlWithToken);
  assert.ok(!page.url().includes('token='), page.url());
  for (const name of ['slow', 'echo', 'binary', 'fail']) await page.locator(`tr[data-plugin="${name}"]`).waitFor();
  const cookies = await page.context().cookies();
  assert.ok(cookies.some((c) => c.name === 'bulkhead_token' && c.httpOnly));
  await page.locator('#live.on').waitFor();
});

test("config through the generated form: a wrong value is refused with the field's message; a good one is applied", {
  skip: missing ?? false,
}, async () => {
  await page.goto(`${server.url}#/plugins`);
  await page.locator('[data-config="echo"]').click();
  const form = page.locator('[data-config-form="echo"]');
  await form.locator('[data-field="repeat"]').fill('0');
  await form.locator('[data-save="echo"]').click();
  await form.locator('[data-error="repeat"]', { hasText: 'must be >= 1' }).waitFor();
  assert.deepEqual(await server.client.plugins().then((ps) => ps.find((p) => p.name === 'echo')?.config), {
    prefix: '>',
    repeat: 1,
  });
  await form.locator('[data-field="repeat"]').fill('2');
  await form.locator('[data-field="prefix"]').fill('#');
  await form.locator('[data-save="echo"]').click();
  await form.locator('[data-status="echo"]', { hasText: 'saved (applied:' }).waitFor();
  assert.deepEqual(await server.client.plugins().then((ps) => ps.find((p) => p.name === 'echo')?.config), {
    prefix: '#',
    repeat: 2,
  });
  await shot('plugins');
});

test('a value only the server can check (inside a nested field) is refused with its message under that field', {
  skip: missing ?? false,
}, async () => {
  await page.goto(`${server.url}#/plugins`);
  await page.locator('[data-config="tuned"]').click();
  const form = page.locator('[data-config-form="tuned"]');
  await form.locator('[data-field="limits"]').fill('{"max": 99}');
  await form.locator('[data-save="tuned"]').click();
  await form.locator('[data-error="limits"]', { hasText: 'must be <= 10' }).waitFor();
  await form.locator('[data-status="tuned"]', { hasText: 'ERR_CONFIG_INVALID' }).waitFor();
  assert.equal((await server.client.plugins()).find((p) => p.name === 'tuned')?.config.limits, undefined);
});

test('submit a job from the form generated from its input schema, and watch its bar reach done', {
  skip: missing ?? false,
}, async () => {
  await page.goto(`${server.url}#/jobs`);
  await page.locator('[data-submit-plugin]').selectOption('slow');
  await page.locator('[data-field="steps"]').fill('40');
  await page.locator('[data-field="stepMs"]').fill('100');
  await page.locator('[data-submit]').click();
  const link = page.locator('[data-submit-status] a');
  await link.waitFor();
  // Its bar moves in the running table as progress is pushed…
  const id = (await link.getAttribute('data-job-link')) as string;
  await page.locator(`[data-table="running"] tr[data-job="${id}"] [role="progressbar"]`).waitFor();
  await shot('jobs');
  // …and on its own page it reaches done.
  await link.click();
  await page.locator('[data-job-status="completed"]').waitFor();
  await page.locator('[role="progressbar"][aria-valuenow="100"].done').waitFor();
  await page.locator('[data-result]').waitFor();
  await shot('job');
});

test('cancel a long job by clicking, and see it end cancelled', { skip: missing ?? false }, async () => {
  await page.goto(`${server.url}#/jobs`);
  await page.locator('[data-submit-plugin]').selectOption('slow');
  await page.locator('[data-field="steps"]').fill('100000');
  await page.locator('[data-field="stepMs"]').fill('20');
  await page.locator('[data-submit]').click();
  const id = (await page.locator('[data-submit-status] a').getAttribute('data-job-link')) as string;
  await page.locator(`[data-table="running"] [data-cancel="${id}"]`).click();
  await page.locator(`[data-table="history"] tr[data-job="${id}"] [data-state="cancelled"]`).waitFor();
  assert.equal((await server.client.get(id)).status, 'cancelled');
});

test("a plugin with no input schema gets a JSON box; a bad input is refused with the server's message", {
  skip: missing ?? false,
}, async () => {
  await page.goto(`${server.url}#/jobs`);
  await page.locator('[data-submit-plugin]').selectOption('echo');
  const box = page.locator('[data-field="$json"]');
  await box.fill('{"x": "from the page"}');
  await page.locator('[data-submit]').click();
  await page.locator('[data-submit-status] a').waitFor();
  await page.locator('[data-submit-plugin]').selectOption('slow');
  await page.locator('[data-field="steps"]').fill('0');
  await page.locator('[data-submit]').click();
  await page.locator('[data-error="steps"]', { hasText: 'must be >= 1' }).waitFor();
});

test('search the history, and see why a pending job waits', { skip: missing ?? false }, async () => {
  await page.goto(`${server.url}#/jobs`);
  // Paging by cursor: older, then newer again, without overlap.
  const firstPage = page.locator('[data-page-info]', { hasText: '1–50' });
  await firstPage.waitFor();
  const top = await page.locator('[data-table="history"] tr[data-job]').first().getAttribute('data-job');
  await page.locator('[data-page="next"]').click();
  await page.locator('[data-page-info]', { hasText: /^51–/ }).waitFor();
  const older = await page
    .locator('[data-table="history"] tr[data-job]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')));
  assert.ok(!older.includes(top));
  await page.locator('[data-page="prev"]').click();
  await firstPage.waitFor();
  await page.locator('[data-search]').fill('patience');
  await page.locator('[data-table="history"] tr[data-job]').first().waitFor();
  await page.waitForFunction('document.querySelectorAll(\'[data-table="history"] tr[data-job]\').length === 1');
  await page.locator('[data-table="history"] [data-state="failed"]').waitFor();
  // Its page shows the plugin's error and its stack.
  await page.locator('[data-table="history"] tr[data-job] a').first().click();
  await page.locator('[data-error-card]', { hasText: 'ERR_PLUGIN_FAILED a model ran out of patience' }).waitFor();
  await page.locator('[data-error-card] pre', { hasText: 'at ' }).waitFor();
  // A job waiting behind a long one on the same plugin: its page explains.
  const busy = await server.client.submit('slow', { steps: 100_000, stepMs: 20 });
  await new Promise<void>((resolve) => {
    void server.client.watch(busy, (e) => e.type === 'progress' && resolve()).catch(() => {});
  });
  const waiting = await server.client.submit('slow', { steps: 1, stepMs: 1 });
  await page.goto(`${server.url}#/jobs/${waiting}`);
  await page.locator('[data-explain]', { hasText: 'busy' }).waitFor();
  await shot('job-pending');
  // A GPU job: its reservation shows on the resources view, against the GPU's measured memory.
  const gpuJob = await server.client.submit('gpu-job', { steps: 100_000, stepMs: 20 });
  await page.goto(`${server.url}#/jobs/${gpuJob}`);
  await page.locator('[data-card="gpu"]', { hasText: 'of 2048 MB reserved' }).waitFor();
  await page.goto(`${server.url}#/resources`);
  await page.locator('[data-chart="cpu"] [data-figure="cpu"]', { hasText: '%' }).waitFor();
  await page.locator('[data-sub="gpu-0"]', { hasText: 'reserved by 1 job(s): 2048 MB' }).waitFor();
  await shot('resources');
  await server.client.cancel(gpuJob);
  await server.client.cancel(waiting);
  await server.client.cancel(busy);
});

test("a job's page follows its logs live: a line logged after the page opened appears without a reload", {
  skip: missing ?? false,
}, async () => {
  const cue = join(tempDir('bulkhead-cue-'), 'go');
  const id = await server.client.submit('log-on-cue', { cue });
  await page.goto(`${server.url}#/jobs/${id}`);
  const logs = page.locator('[data-logs]');
  await logs.filter({ hasText: 'before the cue' }).waitFor();
  await page.locator('#live.on').waitFor();
  assert.doesNotMatch((await logs.textContent()) ?? '', /after the cue/);
  // A mark on this document (the test's tsconfig has no DOM types: page code goes as strings).
  await page.evaluate("window.mark = 'same page'");
  // The plugin logs its second line only once the file exists: after the page has drawn the first.
  writeFileSync(cue, '');
  await logs.filter({ hasText: 'after the cue' }).waitFor();
  assert.equal(await page.evaluate('window.mark'), 'same page');
  assert.match((await logs.textContent()) ?? '', /before the cue\n.*after the cue/);
  await page.locator('[data-job-status="completed"]').waitFor();
});

test('reorder pending jobs by dragging a row onto another', { skip: missing ?? false }, async () => {
  // One long job holds the slow plugin (one at a time), so three more wait in order a, b, c.
  const busy = await server.client.submit('slow', { steps: 100_000, stepMs: 20 });
  await new Promise<void>((resolve) => {
    void server.client.watch(busy, (e) => e.type === 'progress' && resolve()).catch(() => {});
  });
  const [a, b, c] = [
    await server.client.submit('slow', { steps: 1, stepMs: 1 }),
    await server.client.submit('slow', { steps: 1, stepMs: 1 }),
    await server.client.submit('slow', { steps: 1, stepMs: 1 }),
  ] as [string, string, string];
  const pendingOrder = async () =>
    (await server.client.snapshot({ pending: 10 })).pending.map((j) => j.id).filter((id) => [a, b, c].includes(id));
  assert.deepEqual(await pendingOrder(), [a, b, c]);
  await page.goto(`${server.url}#/jobs`);
  const rows = page.locator('[data-table="pending"] tr[data-job]');
  const shown = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-job')));
  const pendingIds = "[...document.querySelectorAll('[data-table=pending] tr[data-job]')].map((tr) => tr.dataset.job)";
  await page.locator(`[data-table="pending"] tr[data-job="${c}"]`).waitFor();
  assert.deepEqual(await shown(), [a, b, c]);
  // c onto a: c runs first, a and b move down one.
  await page.dragAndDrop(`[data-table="pending"] tr[data-job="${c}"]`, `[data-table="pending"] tr[data-job="${a}"]`);
  await page.waitForFunction(`${pendingIds}.join() === '${[c, a, b].join()}'`);
  assert.deepEqual(await shown(), [c, a, b]);
  assert.deepEqual(await pendingOrder(), [c, a, b]);
  // a (now second) onto b (last): a goes last.
  await page.dragAndDrop(`[data-table="pending"] tr[data-job="${a}"]`, `[data-table="pending"] tr[data-job="${b}"]`);
  await page.waitForFunction(`${pendingIds}.join() === '${[c, b, a].join()}'`);
  assert.deepEqual(await shown(), [c, b, a]);
  assert.deepEqual(await pendingOrder(), [c, b, a]);
  // The timeline says so, as for the ↑/↓ buttons.
  assert.ok((await server.client.get(a)).timeline.some((e) => e.type === 'reordered'));
  for (const id of [a, b, c, busy]) await server.client.cancel(id);
});
