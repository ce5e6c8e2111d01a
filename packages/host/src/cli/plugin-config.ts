/**
 * `bulkhead config get|set NAME …`: a plugin's config read by dotted key, and set from
 * `key=value` pairs (JSON values, else text), refused with the key meant for a typo.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { BulkheadError, CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import type { PluginSummary } from '../manager/types.js';
import { CliError, usage } from './cli-error.js';
import type { CommandContext } from './context.js';
import { findPlugin } from './find-plugin.js';
import { openPlugins } from './session.js';

export async function configGet(ctx: CommandContext, name: string, key?: string): Promise<number> {
  await using access = await openPlugins(ctx);
  const p = await findPlugin(await access.plugins(), name);
  const value = key === undefined ? p.config : getPath(p.config, key);
  if (value === undefined)
    throw new CliError('ERR_CONFIG_KEY_NOT_FOUND', `${name} has no config key "${key}"`, { data: { name, key } });
  if (ctx.out.json) ctx.out.document(value);
  else ctx.out.line(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return EXIT.OK;
}

export async function configSet(ctx: CommandContext, name: string, assignments: string[]): Promise<number> {
  await using access = await openPlugins(ctx);
  const p = await findPlugin(await access.plugins(), name);
  const patch: Record<string, unknown> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw usage(`"${a}" is not key=value`, `e.g. bulkhead config set ${name} greeting=Hi`);
    const key = a.slice(0, eq);
    await checkKnownKey(p, key);
    setPath(patch, key, parseValue(a.slice(eq + 1)), p.config);
  }
  try {
    const { applied } = await access.updateConfig(name, patch);
    const how = {
      hot: 'applied to the running worker',
      restart: 'the worker restarts to apply it',
      stored: 'used from its next start',
    }[applied];
    if (ctx.out.json)
      ctx.out.document({ name, applied, config: (await findPlugin(await access.plugins(), name)).config });
    else ctx.out.line(`${name}: config updated (${how})`);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof BulkheadError && e.code === 'ERR_CONFIG_INVALID') {
      const issues = (e.data as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? [];
      const lines = issues.map((i) => `${i.path || '(config)'} ${i.message}`);
      throw new CliError(e.code, `config refused, nothing changed: ${lines.join('; ') || e.message}`, {
        hint: `see the schema with \`bulkhead info ${name}\``,
      });
    }
    throw e;
  }
}

/**
 * A key the plugin's schema does not list would be dropped by the plugin (zod strips unknown keys)
 * or refused by it: either way a typo, refused here with the key meant.
 */
async function checkKnownKey(p: PluginSummary, key: string): Promise<void> {
  const manifest = JSON.parse(await readFile(p.manifestPath, 'utf8')) as { configSchema?: Record<string, unknown> };
  const schema = manifest.configSchema;
  const properties = schema?.properties as Record<string, unknown> | undefined;
  const top = key.split('.')[0] as string;
  if (!properties || top in properties || (schema?.additionalProperties ?? false) !== false) return;
  const { didYouMean } = await import('../manifest/did-you-mean.js');
  const guess = didYouMean(top, Object.keys(properties));
  throw new CliError(
    'ERR_CONFIG_INVALID',
    `${p.name} has no config key "${top}"${guess ? ` (did you mean "${guess}"?)` : ''}; nothing changed`,
    { hint: `its keys: ${Object.keys(properties).join(', ')} (\`bulkhead info ${p.name}\`)` },
  );
}

/** A value from the command line: JSON when it parses (`5`, `true`, `[1]`), else the text itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function getPath(obj: Record<string, unknown>, key: string): unknown {
  let v: unknown = obj;
  for (const part of key.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Sets `a.b.c` in `patch`, starting nested objects from the current config so siblings survive. */
function setPath(patch: Record<string, unknown>, key: string, value: unknown, current: Record<string, unknown>): void {
  const parts = key.split('.');
  let target = patch;
  let base: unknown = current;
  for (const part of parts.slice(0, -1)) {
    base = typeof base === 'object' && base !== null ? (base as Record<string, unknown>)[part] : undefined;
    const existing = target[part];
    target[part] =
      typeof existing === 'object' && existing !== null
        ? existing
        : typeof base === 'object' && base !== null
          ? { ...(base as object) }
          : {};
    target = target[part] as Record<string, unknown>;
  }
  target[parts.at(-1) as string] = value;
}
