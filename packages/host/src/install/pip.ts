/**
 * Runs the tools that build a Python environment (uv, or python -m venv and pip) with their output
 * streamed line by line (progress while pip runs) and kept in the environment's install.log; a
 * failure carries the tool's last lines. Each runs in its own process group, so a cancel stops it
 * and whatever it started.
 * @module
 */

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { diskFullError, isDiskFull } from '../disk/disk-full.js';
import { killGroup } from '../process/kill-group.js';

export interface ToolOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Each non-empty line of output, as it comes. */
  onLine?: (line: string) => void;
}

const ERROR_LINES = 15;

export async function runTool(file: string, args: string[], options: ToolOptions): Promise<void> {
  if (options.signal?.aborted) throw new BulkheadError('ERR_CANCELLED', 'install cancelled', { forced: false });
  const log = createWriteStream(join(options.cwd, 'install.log'), { flags: 'a' });
  // A log that cannot be written (a full disk) must not be an unhandled 'error' that kills us.
  let logError: unknown = null;
  log.on('error', (e) => {
    logError ??= e;
  });
  log.write(`$ ${[file, ...args].join(' ')}\n`);
  const tail: string[] = [];
  let partial = '';
  const keep = (chunk: Buffer) => {
    if (logError === null) log.write(chunk);
    const lines = (partial + chunk.toString('utf8')).split(/\r?\n|\r/);
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      tail.push(line);
      options.onLine?.(line.trim());
    }
    if (tail.length > 200) tail.splice(0, tail.length - 200);
  };
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...(options.env ?? process.env), PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const abort = () => killGroup(child.pid, 'SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) =>
      reject(new BulkheadError('ERR_INSTALL_FAILED', `cannot run ${file}: ${e.message}`, undefined, { cause: e })),
    );
    child.on('close', (c) => {
      options.signal?.removeEventListener('abort', abort);
      resolve(c);
    });
  }).finally(() => log.end());
  if (options.signal?.aborted) throw new BulkheadError('ERR_CANCELLED', 'install cancelled', { forced: false });
  if (isDiskFull(logError) || (code !== 0 && tail.some((l) => /\bENOSPC\b|No space left on device/i.test(l)))) {
    throw diskFullError(options.cwd, `${file} ${args[0] ?? ''}`.trim(), logError ?? undefined);
  }
  if (code !== 0) {
    if (partial.trim() !== '') tail.push(partial);
    const name = file.split('/').pop();
    const errors = tail.filter((l) => /error|ERROR|×|╰─▶|because/.test(l));
    const shown = (errors.length > 0 ? errors : tail).slice(-ERROR_LINES);
    throw new BulkheadError('ERR_INSTALL_FAILED', `${name} ${args[0]} failed (exit ${code}):\n${shown.join('\n')}`, {
      log: join(options.cwd, 'install.log'),
      exitCode: code,
    });
  }
}
