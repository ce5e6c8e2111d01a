/**
 * A job database that is not what it should be: a 0-byte file becomes a new queue and says so
 * once; a damaged one gives up what SQLite can still read through `bulkhead jobs recover`.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteJobStore } from 'bulkhead/sqlite';
import { cleanUp, cli, tempHome } from '../cli-helpers.js';

after(cleanUp);

const job = (id: string, bytes = 16) => ({
  id,
  plugin: 'p',
  input: new Uint8Array(bytes).fill(7),
  priority: 0,
  idempotencyKey: null,
  maxAttempts: 1,
  timeoutMs: null,
  createdAt: Date.now(),
});

test('a 0-byte jobs.db becomes an empty queue and says so, once', async () => {
  const home = tempHome();
  const file = join(home, 'jobs.db');
  writeFileSync(file, '');
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const first = await SqliteJobStore.open(file);
    await first.close();
    const second = await SqliteJobStore.open(file);
    await second.close();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  const told = warnings.filter((w) => w.includes('was an empty file (0 bytes)'));
  assert.equal(told.length, 1, warnings.join('\n'));
  assert.match(told[0] ?? '', /it is now a new, empty job queue/);
});

async function filled(home: string, n: number): Promise<string> {
  const file = join(home, 'jobs.db');
  const store = await SqliteJobStore.open(file);
  await store.insert(Array.from({ length: n }, (_, i) => job(`job-${String(i).padStart(3, '0')}`, 3000)));
  await store.close();
  return file;
}

test('bulkhead jobs recover exports every job of a readable database as JSON lines', async () => {
  const home = tempHome();
  await filled(home, 40);
  const out = join(home, 'saved.jsonl');
  const r = await cli(home, ['jobs', 'recover', '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { file: join(home, 'jobs.db'), output: out, recovered: 40, unreadable: 0 });
  const jobs = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; input: unknown });
  assert.equal(jobs.length, 40);
  assert.equal(jobs[0]?.id, 'job-000');
  assert.deepEqual(jobs[0]?.input, { $bytes: Buffer.alloc(3000, 7).toString('base64') });
});

test('a damaged database: the store refuses it and names `jobs recover`, which saves the readable rows', async () => {
  const home = tempHome();
  const file = await filled(home, 200);
  // Garbage over a stretch of pages near the end (table leaves and overflow pages of inputs).
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size * 0.8));
  closeSync(fd);
  await assert.rejects(SqliteJobStore.open(file), (e: Error) => /bulkhead jobs recover/.test(e.message));
  const out = join(home, 'saved.jsonl');
  const r = await cli(home, ['jobs', 'recover', '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { recovered, unreadable } = JSON.parse(r.stdout) as { recovered: number; unreadable: number };
  assert.ok(recovered > 0, 'some jobs were readable');
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines.length, recovered);
  for (const l of lines) assert.equal((JSON.parse(l) as { plugin: string }).plugin, 'p');
  assert.ok(recovered + unreadable <= 200);
});
