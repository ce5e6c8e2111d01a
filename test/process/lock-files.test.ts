/**
 * The identity-checked lock (process/lock-file.ts) behind `bulkhead install` and the plugin state:
 * an empty or dead holder's lock is taken over with a message, a live holder is waited for and
 * named (pid, since when), never robbed, and the wait can be interrupted.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isBulkheadError } from 'bulkhead';
import { cleanUp, cli, cliEnv, copyExample, finished, start, tempHome, until } from '../cli-helpers.js';
import { tempDir } from '../helpers.js';

const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
const { lockInstalls } = (await import(
  built('./install/install-lock.js')
)) as typeof import('../../packages/host/src/install/install-lock.js');
const { StateStore } = (await import(
  built('./manager/state-store.js')
)) as typeof import('../../packages/host/src/manager/state-store.js');
const { identify } = (await import(
  built('./process/process-identity.js')
)) as typeof import('../../packages/host/src/process/process-identity.js');

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  cleanUp();
});

/** A live process other than this one, to hold a lock. */
function liveHolder(): { pid: number; lock: string } {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(child);
  const pid = child.pid as number;
  return { pid, lock: JSON.stringify({ ...identify(pid), since: Date.UTC(2026, 0, 2, 3, 4, 5) }) };
}

/** A pid that ran once and does not now. */
async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  const pid = child.pid as number;
  await new Promise((r) => child.once('exit', r));
  return pid;
}

describe('the install lock', () => {
  test('an empty .install.lock (left by a full disk) is taken over, with a message', async () => {
    const dir = tempDir('bulkhead-lock-');
    writeFileSync(join(dir, '.install.lock'), '');
    const takeovers: unknown[] = [];
    const release = await lockInstalls(dir, { onTakeover: (t) => takeovers.push(t) });
    assert.deepEqual(takeovers, [{ file: join(dir, '.install.lock'), reason: 'unidentifiable', holder: null }]);
    const mine = JSON.parse(readFileSync(join(dir, '.install.lock'), 'utf8')) as { pid: number; since: number };
    assert.equal(mine.pid, process.pid);
    assert.equal(typeof mine.since, 'number');
    await release();
    assert.equal(existsSync(join(dir, '.install.lock')), false);
  });

  test('a lock whose holder is gone is taken over, naming that holder', async () => {
    const dir = tempDir('bulkhead-lock-');
    const pid = await deadPid();
    writeFileSync(join(dir, '.install.lock'), JSON.stringify({ ...identify(process.pid), pid, since: 1 }));
    const takeovers: { reason: string; holder: { pid: number } | null }[] = [];
    const release = await lockInstalls(dir, { onTakeover: (t) => takeovers.push(t) });
    assert.equal(takeovers.length, 1);
    assert.equal(takeovers[0]?.reason, 'gone');
    assert.equal(takeovers[0]?.holder?.pid, pid);
    await release();
  });

  test('a live holder is waited for: onWait says who and since when; the signal ends the wait', async () => {
    const dir = tempDir('bulkhead-lock-');
    const holder = liveHolder();
    writeFileSync(join(dir, '.install.lock'), holder.lock);
    const stop = new AbortController();
    const waits: { pid: number; since: number }[] = [];
    const waiting = lockInstalls(dir, {
      signal: stop.signal,
      onWait: (h) => {
        waits.push(h);
        stop.abort();
      },
    });
    await assert.rejects(waiting, (e) => isBulkheadError(e, 'ERR_CANCELLED'));
    assert.deepEqual(
      waits.map((w) => [w.pid, w.since]),
      [[holder.pid, Date.UTC(2026, 0, 2, 3, 4, 5)]],
    );
    assert.equal(readFileSync(join(dir, '.install.lock'), 'utf8'), holder.lock, "the live holder's lock is kept");
  });

  test('bulkhead install over an empty lock installs, and says it took the lock over', async () => {
    const src = tempHome();
    copyExample('hello', src);
    writeFileSync(join(src, 'plugins.yaml'), 'version: 1\nplugins:\n  - source: ./hello\n');
    const h = tempHome();
    mkdirSync(join(h, 'plugins'), { recursive: true });
    writeFileSync(join(h, 'plugins', '.install.lock'), '');
    const r = await cli(h, ['install', join(src, 'plugins.yaml')], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /took over the install lock .*names no holder/);
    assert.match(r.stdout, /1 installed/);
    assert.equal(existsSync(join(h, 'plugins', '.install.lock')), false);
  });

  test('bulkhead install waiting on a live holder names it; one Ctrl-C stops the wait', async () => {
    const src = tempHome();
    copyExample('hello', src);
    writeFileSync(join(src, 'plugins.yaml'), 'version: 1\nplugins:\n  - source: ./hello\n');
    const h = tempHome();
    mkdirSync(join(h, 'plugins'), { recursive: true });
    const holder = liveHolder();
    writeFileSync(join(h, 'plugins', '.install.lock'), holder.lock);
    const child = start(h, ['install', join(src, 'plugins.yaml')], { env: cliEnv(h) });
    await until(child, (o) => o.stderr.includes('waiting for another bulkhead install'));
    assert.match(child.out.stderr, new RegExp(`pid ${holder.pid}, since 2026-01-02T03:04:05.000Z`));
    child.kill('SIGINT');
    const r = await finished(child, 30_000);
    assert.equal(r.code, 130, r.stderr);
    assert.equal(readFileSync(join(h, 'plugins', '.install.lock'), 'utf8'), holder.lock);
  });
});

describe('the plugin state lock', () => {
  test("a live holder's lock is not deleted: ERR_LOCKED names the holder and since when", () => {
    const dir = tempDir('bulkhead-state-');
    const file = join(dir, 'state.json');
    const holder = liveHolder();
    writeFileSync(`${file}.lock`, holder.lock);
    const store = new StateStore(file, { lockWaitMs: 300 });
    assert.throws(
      () => store.set('hello', { enabled: false }),
      (e) =>
        isBulkheadError(e, 'ERR_LOCKED') &&
        e.data.pid === holder.pid &&
        /pid \d+, since 2026-01-02T03:04:05\.000Z/.test(e.message),
    );
    assert.equal(readFileSync(`${file}.lock`, 'utf8'), holder.lock);
    assert.equal(existsSync(file), false, 'nothing was written around the lock');
  });

  test('an empty lock and a dead holder’s lock are taken over at once; the change is made', async () => {
    const dir = tempDir('bulkhead-state-');
    const file = join(dir, 'state.json');
    const store = new StateStore(file, { lockWaitMs: 60_000 });
    writeFileSync(`${file}.lock`, '');
    store.set('a', { enabled: false });
    writeFileSync(`${file}.lock`, JSON.stringify({ ...identify(process.pid), pid: await deadPid(), since: 1 }));
    store.set('b', { enabled: false });
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).plugins, { a: { enabled: false }, b: { enabled: false } });
    assert.equal(existsSync(`${file}.lock`), false);
  });

  test('processes changing the state at once never lose a change', async () => {
    const dir = tempDir('bulkhead-state-');
    const file = join(dir, 'state.json');
    const script = `
      const { StateStore } = await import(${JSON.stringify(built('./manager/state-store.js'))});
      const store = new StateStore(${JSON.stringify(file)});
      for (let i = 0; i < 40; i++) store.update('counter', (c) => ({ config: { n: ((c.config?.n) ?? 0) + 1 } }));
    `;
    const runs = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
      return new Promise<number | null>((r) => child.once('exit', r));
    });
    assert.deepEqual(await Promise.all(runs), [0, 0, 0, 0]);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).plugins.counter.config.n, 160);
  });
});
