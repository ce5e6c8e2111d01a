/**
 * Runs `npm install` into one plugin's environment. Output is kept in the environment's
 * install.log; a failure carries npm's own error lines, which say what went wrong far better than
 * anything we could add.
 * @module
 */

import { spawn } from 'node:child_process';
import { createWriteStream, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { diskFullError, isDiskFull } from '../disk/disk-full.js';
import { killGroup } from '../process/kill-group.js';
import { identify, isRunning, type ProcessIdentity } from '../process/process-identity.js';

export interface NpmOptions {
  /** The npm executable. Default `BULKHEAD_NPM`, else `npm` on PATH. */
  npm?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** Lines of npm's output quoted in an error. */
const ERROR_LINES = 12;

/** Beside npm's work: who it is, so the next install can stop an npm whose `bulkhead` was killed. */
const NPM_PID_FILE = '.npm.pid';

export async function npmInstall(dir: string, specs: string[], options: NpmOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const npm = options.npm ?? env.BULKHEAD_NPM ?? 'npm';
  // --install-links copies a local directory (as a packed package) instead of linking it, so the
  // environment owns its files and the plugin's dependencies land in this node_modules, not the source's.
  const args = ['install', '--no-audit', '--no-fund', '--install-links', '--omit=dev', ...specs];
  const log = createWriteStream(join(dir, 'install.log'));
  // A log that cannot be written (a full disk) must not be an unhandled 'error' that kills us.
  let logError: unknown = null;
  log.on('error', (e) => {
    logError ??= e;
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    if (logError === null) log.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') tail.push(line);
    if (tail.length > 200) tail.splice(0, tail.length - 200);
  };
  // Cancelled before npm even started (an already-aborted signal never fires 'abort').
  if (options.signal?.aborted) {
    log.end();
    throw new BulkheadError('ERR_CANCELLED', 'install cancelled', { forced: false });
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    // Its own process group, so a cancel stops npm and every script it started.
    const child = spawn(npm, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    recordNpm(dir, child.pid);
    const abort = () => killGroup(child.pid, 'SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => reject(e));
    child.on('close', (c) => {
      rmSync(join(dir, NPM_PID_FILE), { force: true });
      options.signal?.removeEventListener('abort', abort);
      resolve(c);
    });
  }).finally(() => log.end());
  if (options.signal?.aborted) throw new BulkheadError('ERR_CANCELLED', 'install cancelled', { forced: false });
  if (isDiskFull(logError) || (code !== 0 && tail.some((l) => /\bENOSPC\b|no space left on device/i.test(l)))) {
    throw diskFullError(dir, 'npm install', logError ?? undefined);
  }
  if (code !== 0) {
    const errors = tail.filter((l) => /^npm (error|ERR!)/.test(l));
    const shown = (errors.length > 0 ? errors : tail).slice(-ERROR_LINES);
    throw new BulkheadError('ERR_INSTALL_FAILED', `npm install failed (exit ${code}):\n${shown.join('\n')}`, {
      log: join(dir, 'install.log'),
      exitCode: code,
    });
  }
}

/** Written whole (temp file, rename) so a reader never sees half of it; best effort. */
function recordNpm(dir: string, pid: number | undefined): void {
  if (pid === undefined) return;
  const file = join(dir, NPM_PID_FILE);
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(identify(pid)));
    renameSync(`${file}.tmp`, file);
  } catch {
    // Only the clean-up after a killed install needs it.
  }
}

/**
 * Stops every npm still working in a staging directory under `stagingRoot`: an install killed
 * outright (SIGKILL, a closed terminal's lost SIGHUP) leaves its npm running in its own process
 * group. Only a group whose leader is still the very process that was recorded is signalled.
 */
export async function stopLeftoverNpm(stagingRoot: string): Promise<void> {
  const dirs = await readdir(stagingRoot).catch(() => [] as string[]);
  for (const name of dirs) {
    let id: ProcessIdentity;
    try {
      id = JSON.parse(await readFile(join(stagingRoot, name, NPM_PID_FILE), 'utf8')) as ProcessIdentity;
    } catch {
      continue;
    }
    // Without a start time (not Linux) a live pid may be a new process that took the number, and
    // its group someone else's work: only a process known to be that npm is stopped.
    if (!Number.isInteger(id?.pid) || id.procStart === null || !isRunning(id)) continue;
    killGroup(id.pid, 'SIGKILL');
  }
}
