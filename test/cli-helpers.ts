import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';

export const BIN = join(repoRoot, 'packages', 'host', 'bin', 'bulkhead.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI run: a home of its own, and npm answering from its cache first. */
export function cliEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // An outer BULKHEAD_PLUGIN_PATH would add plugins that are not this home's (a test may set its own).
  // An outer BULKHEAD_REDIS_URL would move every command's queue onto that Redis.
  const { BULKHEAD_PLUGIN_PATH: _outer, BULKHEAD_REDIS_URL: _redis, ...outer } = process.env;
  return { ...outer, BULKHEAD_HOME: home, npm_config_prefer_offline: 'true', ...extra };
}

/** Runs `bulkhead ...args` to its end. */
export function cli(
  home: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = start(home, args, options);
  if (options.input !== undefined) child.stdin?.end(options.input);
  else child.stdin?.end();
  return finished(child, options.timeoutMs ?? 120_000);
}

const started = new Set<ChildProcess>();
const homes: string[] = [];

/** Kills every CLI process a test started and left running (a test that failed midway), removes temp homes. */
export function cleanUp(): void {
  for (const child of started) child.kill('SIGKILL');
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Starts `bulkhead ...args` and leaves it running; output accumulates on the returned object. */
/** A started CLI process: its output so far, and its end (code and signal) once it has come. */
export type Started = ChildProcess & {
  out: { stdout: string; stderr: string };
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

export function start(home: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Started {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: cliEnv(home, options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as Started;
  started.add(child);
  // Recorded from the start: a child that ends before `finished` is called must not be missed.
  child.closed = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      started.delete(child);
      resolve({ code, signal });
    });
  });
  child.out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => {
    child.out.stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    child.out.stderr += d.toString();
  });
  return child;
}

export function finished(child: Started, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `bulkhead ${child.spawnargs.slice(2).join(' ')} did not exit in ${timeoutMs} ms:\n${child.out.stderr}`,
        ),
      );
    }, timeoutMs);
    void child.closed.then(({ code, signal }) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: child.out.stdout, stderr: child.out.stderr });
    });
  });
}

/** A copy of one of examples/packages, to change without touching the repository. */
export function copyExample(name: string, into = mkdtempSync(join(tmpdir(), 'bulkhead-src-'))): string {
  const dir = join(into, name);
  cpSync(join(repoRoot, 'examples', 'packages', name), dir, { recursive: true });
  return dir;
}

export function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-cli-home-'));
  homes.push(dir);
  return dir;
}

/** Waits until `check(child output)` holds. */
export async function until(
  child: { out: { stdout: string; stderr: string } },
  check: (out: { stdout: string; stderr: string }) => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check(child.out)) {
    if (Date.now() > deadline)
      throw new Error(`timed out; stderr so far:\n${child.out.stderr}\nstdout:\n${child.out.stdout}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
