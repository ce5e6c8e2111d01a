/**
 * `bulkhead config get|set --host`: the host's settings in `<home>/config.yaml`, read and written
 * the way a plugin's config is. A set rewrites only the keys given (comments and the rest of the
 * file stay) and is checked whole before the file is replaced: a bad value changes nothing.
 * @module
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import { parseDocument } from 'yaml';
import { HOST_SETTINGS, hostConfigPath, loadHostConfig, settingFor } from '../../config/host-config.js';
import { parseHostConfig } from '../../config/host-config-file.js';
import { formatDuration } from '../../config/setting-kinds.js';
import { diskFullError, isDiskFull } from '../../disk/disk-full.js';
import { CliError, usage } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { table } from '../output.js';

/** `config get [NAME] [KEY]`: a plugin's config, or with `--host` the host's settings. */
export async function configGet(
  ctx: CommandContext,
  name: string | undefined,
  key: string | undefined,
  options: { host?: boolean },
): Promise<number> {
  if (options.host) {
    if (key !== undefined)
      throw usage('config get --host takes one key', 'e.g. bulkhead config get --host scheduler.policy');
    return hostGet(ctx, name);
  }
  if (name === undefined) throw usage('name a plugin, or give --host', 'e.g. bulkhead config get hello');
  return (await import('../plugin-config.js')).configGet(ctx, name, key);
}

/** `config set NAME KEY=VALUE…`, or `config set --host KEY=VALUE…`. */
export async function configSet(
  ctx: CommandContext,
  name: string | undefined,
  assignments: string[],
  options: { host?: boolean },
): Promise<number> {
  if (options.host) return hostSet(ctx, [...(name === undefined ? [] : [name]), ...assignments]);
  if (name === undefined || assignments.length === 0) {
    throw usage('give a plugin and key=value pairs, or --host', 'e.g. bulkhead config set countdown stepMs=50');
  }
  return (await import('../plugin-config.js')).configSet(ctx, name, assignments);
}

function shown(key: string, value: unknown): string {
  if (value === undefined) return '-';
  if (typeof value === 'number' && (/timeout$/i.test(key) || key.endsWith('maxAge'))) return formatDuration(value);
  return String(value);
}

async function hostGet(ctx: CommandContext, key: string | undefined): Promise<number> {
  if (key !== undefined) {
    const s = settingFor(key);
    if ('problem' in s) throw new CliError('ERR_HOST_SETTING_NOT_FOUND', s.problem, { data: { key } });
  }
  const config = await loadHostConfig(ctx.home, ctx.env, ctx.settings);
  const keys = key === undefined ? HOST_SETTINGS.map((s) => s.key) : [key];
  if (ctx.out.json) {
    if (key !== undefined) ctx.out.document(config.values[key] ?? null);
    else {
      const doc = Object.fromEntries(
        keys.map((k) => [
          k,
          {
            value: config.values[k] ?? null,
            source: config.sources[k],
            env: HOST_SETTINGS.find((s) => s.key === k)?.env,
          },
        ]),
      );
      ctx.out.document({ file: config.file, settings: doc });
    }
    return EXIT.OK;
  }
  if (key !== undefined) {
    ctx.out.line(shown(key, config.values[key]));
    return EXIT.OK;
  }
  const rows = keys.map((k) => {
    const s = HOST_SETTINGS.find((x) => x.key === k)!;
    const source = config.sources[k] === 'env' ? `env ${s.env}` : config.sources[k]!;
    return [k, shown(k, config.values[k]), source];
  });
  ctx.out.line(table([['SETTING', 'VALUE', 'FROM'], ...rows]));
  ctx.out.note(ctx.out.style('dim', `file: ${config.file}`));
  return EXIT.OK;
}

async function hostSet(ctx: CommandContext, assignments: string[]): Promise<number> {
  if (assignments.length === 0) {
    throw usage('give key=value pairs', 'e.g. bulkhead config set --host scheduler.policy=queue');
  }
  const file = hostConfigPath(ctx.home);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  // The file as it is must be readable, or a set would build on what it cannot see.
  parseHostConfig(text, file);
  const doc = parseDocument(text);
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw usage(`"${a}" is not key=value`, 'e.g. bulkhead config set --host scheduler.policy=queue');
    const key = a.slice(0, eq);
    const raw = a.slice(eq + 1);
    const s = settingFor(key);
    if ('problem' in s) throw usage(s.problem, 'see every setting with `bulkhead config get --host`');
    const path = key.split('.');
    // A flat dotted key already in the file is the same setting: replace it rather than add a twin.
    if (doc.has(key)) doc.delete(key);
    if (raw === '') {
      doc.deleteIn(path);
      continue;
    }
    const value = /^\d+$/.test(raw) ? Number(raw) : raw;
    const parsed = s.kind.parse(value);
    if ('expected' in parsed) throw usage(`${key} must be ${parsed.expected} (found ${JSON.stringify(raw)})`);
    doc.setIn(path, value);
  }
  const next = doc.toString();
  parseHostConfig(next, file); // the whole file, as the next start will read it
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, next);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }); // a full disk leaves no half-written temp file behind
    if (isDiskFull(e)) throw diskFullError(file, 'the host settings', e);
    throw e;
  }
  if (ctx.out.json) {
    const config = await loadHostConfig(ctx.home, ctx.env);
    ctx.out.document({ file, values: config.values });
  } else {
    ctx.out.line(`${file}: updated (applies from the next host start)`);
  }
  return EXIT.OK;
}
