/**
 * What the doctor tests share: the built modules (not part of the package's entry), runDoctor with
 * a fake command runner, homes with a real job database, manifests.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { newJob } from './job-store-conformance.js';

// cli/ and the store are not part of the package's public entry: load the built modules beside it.
export const built = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;
export const { checkNodeVersion, doctorExitCode, runDoctor } = (await import(
  built('./cli/doctor.js')
)) as typeof import('../packages/host/src/cli/doctor.js');
export const { execCommandRunner } = (await import(
  built('./resources/command-runner.js')
)) as typeof import('../packages/host/src/resources/command-runner.js');
export const { GPU_QUERY_ARGS } = (await import(
  built('./resources/nvidia-smi.js')
)) as typeof import('../packages/host/src/resources/nvidia-smi.js');
export const { SqliteJobStore } = (await import(
  built('./queue/sqlite/index.js')
)) as typeof import('../packages/host/src/queue/sqlite/index.js');
export const { nodeSqlite } = (await import(
  built('./queue/sqlite/node-sqlite.js')
)) as typeof import('../packages/host/src/queue/sqlite/node-sqlite.js');
export const { DatabaseSync } = nodeSqlite();
export type DatabaseSync = import('node:sqlite').DatabaseSync;
export type DoctorCheck = import('../packages/host/src/cli/doctor.js').DoctorCheck;
export type DoctorOptions = import('../packages/host/src/cli/doctor.js').DoctorOptions;
export type CommandRunner = import('../packages/host/src/resources/command-runner.js').CommandRunner;

export const IDS = ['node', 'npm', 'home', 'config', 'sqlite', 'plugins', 'gpu', 'limits', 'redis', 'control'];

export const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-doctor-'));
  dirs.push(dir);
  return dir;
}

export const enoent = (file: string) => Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT' });

/**
 * A runner that answers `npm --version` and reports no nvidia-smi, runs anything else for real
 * (pinned Node binaries), and records every call; `answers` replace it per command.
 */
export function fakeRunner(answers: Record<string, CommandRunner> = {}): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const defaults: Record<string, CommandRunner> = {
    npm: async () => ({ stdout: '10.9.0\n', stderr: '', exitCode: 0 }),
    'nvidia-smi': async () => Promise.reject(enoent('nvidia-smi')),
  };
  const run: CommandRunner = (file, args, options) => {
    calls.push(file);
    return (answers[file] ?? defaults[file] ?? execCommandRunner)(file, args, options);
  };
  return Object.assign(run, { calls });
}

/** runDoctor with a clean env and a fake runner, checking what every result must look like. */
export async function doctor(home: string, options: Partial<DoctorOptions> = {}): Promise<DoctorCheck[]> {
  const checks = await runDoctor({ home, env: {}, runCommand: fakeRunner(), timeoutMs: 3000, ...options });
  for (const c of checks) {
    assert.ok(!/[\r\n]/.test(c.detail), `${c.id}: detail is one line: ${c.detail}`);
    assert.notEqual(c.detail.trim(), '', `${c.id}: has a detail`);
    if (c.status === 'warn' || c.status === 'fail') assert.ok(c.fix, `${c.id} (${c.status}) says what to do`);
    if (c.fix !== undefined) assert.ok(!/[\r\n]/.test(c.fix), `${c.id}: fix is one line: ${c.fix}`);
  }
  assert.deepEqual(
    checks.filter((c) => !c.id.startsWith('plugin-')).map((c) => c.id),
    IDS,
  );
  return checks;
}

export function check(checks: DoctorCheck[], id: string): DoctorCheck {
  const found = checks.find((c) => c.id === id);
  assert.ok(found, `no check ${id} in ${checks.map((c) => c.id).join(', ')}`);
  return found;
}

/** A home holding a real job database with 1 pending, 1 running and 1 completed job. */
export async function homeWithJobs(): Promise<string> {
  const home = tempDir();
  const store = await SqliteJobStore.open(join(home, 'jobs.db'));
  try {
    await store.insert([newJob('a'), newJob('b'), newJob('c')]);
    await store.update('b', { status: 'running', startedAt: Date.now() });
    await store.update('c', { status: 'completed', finishedAt: Date.now() });
  } finally {
    await store.close();
  }
  return home;
}

/** Runs `fn` on a raw connection to `file`. */
export function withRawDb<T>(file: string, fn: (db: DatabaseSync) => T, options?: { readOnly?: boolean }): T {
  const db = new DatabaseSync(file, options ?? {});
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export function writeManifest(
  home: string,
  dir: string,
  manifest: Record<string, unknown>,
  files: Record<string, string> = {},
) {
  const at = join(home, 'plugins', dir);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'index.js'), 'export default {};\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(at, name), text, { mode: 0o755 });
  writeFileSync(join(at, 'bulkhead-plugin.json'), JSON.stringify(manifest));
  return join(at, 'bulkhead-plugin.json');
}

export const manifest = (name: string, extra: Record<string, unknown> = {}) => ({
  manifestVersion: 1,
  name,
  version: '1.0.0',
  entry: 'index.js',
  ...extra,
});
