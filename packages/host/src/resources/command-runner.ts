/**
 * Runs a short-lived command and collects its output. Telemetry that shells out (nvidia-smi) takes
 * a {@link CommandRunner} so tests can hand it recorded output instead of a real GPU.
 * @module
 */
import { execFile } from 'node:child_process';
import { BulkheadError } from '@bulkhead/sdk/errors';

/** What a command printed and how it exited. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs `file` with `args` (no shell). Resolves for any exit code, so the caller can read what a
 * failing command printed; rejects when the command could not run at all: a missing executable
 * rejects with an error whose `code` is `'ENOENT'`, a timeout with `ERR_TIMEOUT`.
 */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  options?: { timeoutMs?: number },
) => Promise<CommandResult>;

/** Used when the caller gives no `timeoutMs`. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/** `nvidia-smi -q -x` is ~27 KB per GPU; 16 MiB leaves room for big machines without risking the host. */
const MAX_BUFFER = 16 * 1024 * 1024;

/**
 * The default {@link CommandRunner}, on `child_process.execFile`.
 *
 * @example
 * const { stdout, exitCode } = await execCommandRunner('nvidia-smi', ['-L'], { timeoutMs: 5000 });
 */
export const execCommandRunner: CommandRunner = (file, args, options = {}) => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let settled = false;
    const child = execFile(
      file,
      [...args],
      { encoding: 'utf8', maxBuffer: MAX_BUFFER, windowsHide: true },
      (error, stdout, stderr) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        if (error === null) return resolve({ stdout, stderr, exitCode: 0 });
        // A numeric code is the exit status of a command that ran; anything else (ENOENT, EACCES,
        // a maxBuffer overflow, death by signal) means there is no result to read.
        if (typeof error.code === 'number') return resolve({ stdout, stderr, exitCode: error.code });
        reject(error);
      },
    );
    // Our own timer rather than execFile's `timeout`: that one waits for the child to exit, and a
    // process stuck in the kernel (nvidia-smi on a wedged driver) may never do so even after SIGKILL.
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(
        new BulkheadError('ERR_TIMEOUT', `${file} did not finish within ${timeoutMs} ms`, { timeoutMs, forced: true }),
      );
    }, timeoutMs);
  });
};
