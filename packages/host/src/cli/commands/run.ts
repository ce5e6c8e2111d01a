/**
 * `bulkhead run NAME`: submit a job, show its progress live, print its result. Ctrl-C cancels the
 * job (cooperatively, then by force after the queue's grace period) and exits 130 once it has
 * ended; a second Ctrl-C exits at once. The exit code says how the job ended.
 * @module
 */

import { readFile } from 'node:fs/promises';
import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import { fromWire } from '../../control/wire.js';
import { CliError, usage } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { type RunOptions, submitAndWatch } from '../job-report.js';
import { interrupted, openSession } from '../session.js';
import { showValue } from '../value-output.js';

export type { RunOptions };

export async function run(ctx: CommandContext, name: string, options: RunOptions): Promise<number> {
  const input = await withFiles(await readInput(options.input), options.file ?? []);
  // Host settings for this run, over config.yaml and the environment (checked with them).
  if (options.policy !== undefined) ctx.settings['scheduler.policy'] = options.policy;
  if (options.queueTimeout !== undefined) ctx.settings['scheduler.queueTimeout'] = options.queueTimeout;
  if (options.stream) return runStream(ctx, name, input);
  const holder = {
    session: await openSession(ctx, { host: !options.detach, ...(options.detach ? {} : { warm: name }) }),
  };
  try {
    return await submitAndWatch(ctx, holder, name, input, options);
  } finally {
    await holder.session[Symbol.asyncDispose]();
  }
}

async function runStream(ctx: CommandContext, name: string, input: unknown): Promise<number> {
  const { PluginManager } = await import('../../manager/plugin-manager.js');
  // The early worker (bin/bulkhead.js) is offered to this manager's start, as a job's would be.
  await using manager = new PluginManager({
    home: ctx.home,
    env: ctx.env,
    ...(ctx.prelaunched ? { prelaunched: ctx.prelaunched } : {}),
  });
  const stop = interrupted();
  let n = 0;
  try {
    for await (const chunk of manager.stream(name, input, { signal: stop.signal })) {
      n++;
      if (ctx.out.json) ctx.out.record(chunk);
      else ctx.out.line(showValue(chunk));
    }
  } catch (e) {
    if (stop.signal.aborted) return EXIT.INTERRUPTED;
    throw e;
  } finally {
    stop.dispose();
  }
  if (!ctx.out.json) ctx.out.note(ctx.out.style('dim', `${n} chunk(s)`));
  return stop.signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
}

/** `--input`: JSON text, `@file` holding JSON, or `-` for JSON on stdin. */
export async function readInput(arg: string): Promise<unknown> {
  let text = arg;
  let from = 'the --input value';
  if (arg === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
    from = 'stdin';
  } else if (arg.startsWith('@')) {
    from = arg.slice(1);
    try {
      text = await readFile(from, 'utf8');
    } catch (e) {
      throw new CliError(
        'ERR_USAGE',
        `cannot read ${from}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usage(
      `${from} is not JSON: ${(e as Error).message}`,
      `e.g. --input '{"name": "Ada"}' (quote it for the shell)`,
    );
  }
  // Bytes as `--json` prints them ({"$bytes": base64}) read back as bytes.
  try {
    return fromWire(parsed);
  } catch (e) {
    throw usage(`${from}: ${(e as Error).message}`, 'bytes are written {"$bytes": "<base64>"}');
  }
}

/** `--file field=path`: each file's bytes at that (dotted) field of the input. */
export async function withFiles(input: unknown, files: string[]): Promise<unknown> {
  if (files.length === 0) return input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw usage('--file needs an input that is a JSON object', "e.g. --input '{}' --file image=photo.png");
  }
  const root = input as Record<string, unknown>;
  for (const spec of files) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) {
      throw usage(`--file ${spec}: expected FIELD=PATH`, 'e.g. --file image=photo.png');
    }
    const [field, path] = [spec.slice(0, eq), spec.slice(eq + 1)];
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw new CliError(
        'ERR_USAGE',
        `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    const keys = field.split('.');
    let node = root;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (next === undefined) node[key] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next) || ArrayBuffer.isView(next)) {
        throw usage(`--file ${spec}: ${key} in the input is not an object`);
      }
      node = node[key] as Record<string, unknown>;
    }
    node[keys.at(-1) as string] = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return root;
}
