/**
 * A Bulkhead home on a disk that is read-only or full, for real: a small tmpfs in a private mount
 * namespace (tmpfs-home.ts), remounted read-only or filled to the last byte. Each case: a one-line error with what to do, a stable code,
 * and every job stored before still there afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { onTmpfs, type Step, tmpfsSkip } from '../tmpfs-home.js';

const root = mkdtempSync(join(tmpdir(), 'bulkhead-disk-'));
after(() => rmSync(root, { recursive: true, force: true }));

const storeUrl = new URL('./queue/sqlite/index.js', import.meta.resolve('bulkhead')).href;

/** One step of a scenario, run by `node probe.mjs STEP` inside the namespace; prints one JSON line. */
const PROBE = `
const { SqliteJobStore } = await import(process.env.STORE_URL);
const { openSync, writeSync, closeSync, unlinkSync } = await import('node:fs');
const file = process.env.BULKHEAD_HOME + '/jobs.db';
const job = (id) => ({ id, plugin: 'p', input: new Uint8Array(64).fill(1), priority: 0, idempotencyKey: null,
  maxAttempts: 1, timeoutMs: null, createdAt: Date.now() });
const failure = (e) => ({ code: e.code, reason: e.data?.reason, message: e.message });
const out = {};
switch (process.argv[2]) {
  case 'fill': {
    const store = await SqliteJobStore.open(file);
    await store.insert([job('a'), job('b'), job('c')]);
    await store.close();
    break;
  }
  case 'ids': {
    const store = await SqliteJobStore.open(file);
    out.ids = (await store.list()).jobs.map((j) => j.id).sort();
    await store.close();
    break;
  }
  case 'full': {
    // Stored, then the disk fills up under an open store: the next submit fails, the rest stays.
    const store = await SqliteJobStore.open(file);
    await store.insert([job('before')]);
    const fd = openSync(process.env.BULKHEAD_HOME + '/../filler', 'w');
    try { for (;;) writeSync(fd, Buffer.alloc(4096, 1)); } catch (e) { out.filled = e.code; }
    closeSync(fd);
    out.inserts = [];
    // The WAL may still have room for a page or two: insert until the disk is really full.
    for (let i = 0; i < 200; i++) {
      try { await store.insert([job('during-' + i)]); out.inserts.push('during-' + i); }
      catch (e) { out.error = failure(e); break; }
    }
    out.readable = (await store.get('before'))?.id ?? null;
    unlinkSync(process.env.BULKHEAD_HOME + '/../filler');
    await store.insert([job('after')]);
    out.ids = (await store.list()).jobs.map((j) => j.id).sort();
    await store.close();
    break;
  }
}
console.log(JSON.stringify(out));
`;

/** The probe, once for every case (each case's namespace sees the whole file system but its tmpfs). */
const probe = join(root, 'probe.mjs');
writeFileSync(probe, PROBE);

/** A case on a tmpfs of `size` (tmpfs-home.ts) whose script may run the probe as `"$NODE" "$PROBE" STEP`. */
function inNamespace(size: string, script: string): { steps: Map<string, Step> } {
  return onTmpfs(size, script, { STORE_URL: storeUrl, PROBE: probe });
}

function json(step: Step | undefined): Record<string, unknown> {
  assert.ok(step !== undefined);
  assert.equal(step.status, 0, step.stderr);
  return JSON.parse(step.stdout) as Record<string, unknown>;
}

describe('a home on a bad disk', { skip: tmpfsSkip }, () => {
  test('read-only: one line saying so and what to do, exit 1; every job still there once writable', () => {
    const result = inNamespace(
      '4m',
      `
run fill "$NODE" "$PROBE" fill
mount -o remount,ro "$MNT"
run jobs "$NODE" "$BIN" jobs
run jobs-json "$NODE" "$BIN" jobs --json
mount -o remount,rw "$MNT"
run ids "$NODE" "$PROBE" ids
`,
    );
    const { steps } = result;
    json(steps.get('fill'));
    const jobs = steps.get('jobs')!;
    assert.equal(jobs.status, 1, jobs.stderr);
    assert.equal(jobs.stdout, '');
    assert.match(
      jobs.stderr,
      /^error: job database \S+jobs\.db is on a read-only file system; remount it read-write, or set BULKHEAD_HOME to a directory on a writable disk\n(hint: run `bulkhead doctor`\n)?$/,
    );
    const { error } = JSON.parse(steps.get('jobs-json')!.stderr) as { error: { code: string; data: unknown } };
    assert.equal(error.code, 'ERR_STORE_UNAVAILABLE');
    assert.deepEqual(json(steps.get('ids')).ids, ['a', 'b', 'c']);
  });

  test('full: the submit that does not fit fails ERR_DISK_FULL saying what to do; nothing stored is lost', () => {
    const result = inNamespace('1m', 'run full "$NODE" "$PROBE" full\n');
    const out = json(result.steps.get('full')) as {
      filled: string;
      inserts: string[];
      error?: { code: string; reason: string; message: string };
      readable: string | null;
      ids: string[];
    };
    assert.equal(out.filled, 'ENOSPC');
    assert.ok(out.error !== undefined, 'an insert failed once the disk was full');
    // The same code as every other full-disk write (install, state, settings): ERR_DISK_FULL.
    assert.equal(out.error.code, 'ERR_DISK_FULL');
    assert.match(
      out.error.message,
      /^the disk is full: this write to the job database \(nothing before it is lost\) could not be written to \S+jobs\.db; free some space on it, or set BULKHEAD_HOME to a directory on another disk$/,
    );
    assert.equal(out.readable, 'before');
    // Every insert that resolved is there, and writing works again once there is room.
    assert.deepEqual(out.ids, ['after', 'before', ...out.inserts].sort());
  });

  test('full before a command starts: `bulkhead jobs` says so in one line, exit 1', () => {
    const result = inNamespace(
      '1m',
      `
run fill "$NODE" "$PROBE" fill
fill
run jobs "$NODE" "$BIN" jobs
rm "$MNT/filler"
run ids "$NODE" "$PROBE" ids
`,
    );
    const jobs = result.steps.get('jobs')!;
    assert.equal(jobs.status, 1, jobs.stderr);
    assert.match(
      jobs.stderr,
      /^error: the disk is full: this write to the job database \(nothing before it is lost\) could not be written to \S+jobs\.db; free some space on it, or set BULKHEAD_HOME to a directory on another disk\n$/,
    );
    assert.deepEqual(json(result.steps.get('ids')).ids, ['a', 'b', 'c']);
  });
});
