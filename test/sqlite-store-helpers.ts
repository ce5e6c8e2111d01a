/**
 * What the SQLite store's two test files share: the built store, temp databases, a child process
 * holding a store (process tier only), plain connections.
 * @module
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk';

// The store is not (yet) part of the package's public entry: load the built module beside it.
export const storeUrl = new URL('./queue/sqlite/index.js', import.meta.resolve('bulkhead')).href;
export const { SqliteJobStore } = (await import(
  storeUrl
)) as typeof import('../packages/host/src/queue/sqlite/index.js');
// node:sqlite through the store's own loader, which keeps Node 22's ExperimentalWarning out of the output.
const { nodeSqlite } = (await import(
  new URL('./queue/sqlite/node-sqlite.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../packages/host/src/queue/sqlite/node-sqlite.js');
export const { DatabaseSync } = nodeSqlite();
export const { migrate, SCHEMA_VERSION } = (await import(
  new URL('./queue/sqlite/schema.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../packages/host/src/queue/sqlite/schema.js');
export type DatabaseSync = import('node:sqlite').DatabaseSync;
export type SqliteJobStoreOptions = import('../packages/host/src/queue/sqlite/index.js').SqliteJobStoreOptions;
export type SqliteJobStore = import('../packages/host/src/queue/sqlite/index.js').SqliteJobStore;

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-sqlite-'));
  dirs.push(dir);
  return dir;
}

export const tempDb = () => join(tempDir(), 'jobs.db');

/** Asserts that `promise` rejects with ERR_STORE_UNAVAILABLE for `file` with this reason. */
export async function rejectsUnavailable(promise: Promise<unknown>, file: string, reason: string, message?: RegExp) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(isBulkheadError(e, 'ERR_STORE_UNAVAILABLE'), `expected ERR_STORE_UNAVAILABLE, got ${String(e)}`);
    assert.deepEqual(e.data, { file, reason });
    assert.ok(e.message.includes(file), e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

export async function withStore(
  file: string,
  fn: (store: SqliteJobStore) => Promise<void>,
  options?: SqliteJobStoreOptions,
) {
  const store = await SqliteJobStore.open(file, options);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** A node child running an ESM script with the built store at hand (`STORE_URL`, `JOBS_DB`). */
export function spawnStoreScript(
  script: string,
  file: string,
): { child: ChildProcess; lines: string[]; line(text: string): Promise<void> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, STORE_URL: storeUrl, JOBS_DB: file },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: { text: string; resolve(): void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push(text);
    for (const w of waiters.filter((w) => w.text === text)) w.resolve();
  });
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const line = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (lines.includes(text)) return resolve();
      waiters.push({ text, resolve });
      child.once('exit', (code, signal) =>
        reject(new Error(`child exited (${code ?? signal}) before printing ${text}`)),
      );
    });
  return { child, lines, line };
}

/** A store script that takes the file and holds it until killed. */
export const HOLD = `
  const { SqliteJobStore } = await import(process.env.STORE_URL);
  await SqliteJobStore.open(process.env.JOBS_DB);
  console.log('ready');
  setInterval(() => {}, 1000);
`;

export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** The pid of a process that has exited (and been reaped). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

/** A second, plain connection. */
export function raw(file: string): DatabaseSync {
  return new DatabaseSync(file);
}

/** The value of a pragma, as `PRAGMA name` reads it. */
export function pragma(db: DatabaseSync, name: string): unknown {
  return Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];
}
