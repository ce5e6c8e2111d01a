/**
 * The plugin commands: list, info, config get|set, enable, disable, uninstall. They work on a
 * running host when there is one (so a config change reaches a live worker), else on the home.
 * @module
 */
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { BulkheadError, CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import { diskUsage } from '../../install/disk-usage.js';
import { INSTALL_RECORD, type InstallRecord } from '../../install/environment.js';
import type { PluginSummary } from '../../manager/types.js';
import { CliError, usage } from '../cli-error.js';
import type { CommandContext } from '../main.js';
import { table } from '../output.js';
import { openPlugins } from '../session.js';
import { formatBytes } from '../value-output.js';

export async function list(ctx: CommandContext): Promise<number> {
  await using access = await openPlugins(ctx);
  const plugins = await access.plugins();
  const rows = await Promise.all(
    plugins.map(async (p) => {
      const install = await installRecord(p);
      // Only an environment `install` made is this plugin's own; a plugin found on a path is not.
      const disk = install ? await diskUsage(dirname(p.manifestPath)) : null;
      return { ...p, install, disk };
    }),
  );
  if (ctx.out.json) {
    ctx.out.document({
      home: ctx.home,
      host: access.remote ? 'running' : 'none',
      plugins: rows.map(({ install, disk, ...p }) => ({
        ...p,
        node: install?.pinnedNode ? install.runtime : 'host',
        source: install?.source ?? null,
        diskBytes: disk,
      })),
    });
    return EXIT.OK;
  }
  if (rows.length === 0) {
    ctx.out.line(`No plugins installed in ${ctx.home}.`);
    ctx.out.note('Install some with `bulkhead install plugins.yaml`.');
    return EXIT.OK;
  }
  ctx.out.line(
    table([
      ['NAME', 'VERSION', 'STATE', 'ENV', 'NODE', 'DISK', 'RESOURCES'],
      ...rows.map((p) => [
        p.name,
        p.version,
        p.state,
        envColumn(ctx, p),
        nodeColumn(p.install),
        p.disk === null ? '-' : formatBytes(p.disk),
        resourcesText(p.resources),
      ]),
    ]),
  );
  return EXIT.OK;
}

export async function info(ctx: CommandContext, name: string): Promise<number> {
  await using access = await openPlugins(ctx);
  const p = await findPlugin(await access.plugins(), name);
  const manifest = JSON.parse(await readFile(p.manifestPath, 'utf8')) as Record<string, unknown>;
  const install = await installRecord(p);
  const stats = access.remote && p.pid !== null ? await access.telemetry(name).catch(() => null) : null;
  const disk = install ? await diskUsage(dirname(p.manifestPath)) : null;
  if (ctx.out.json) {
    ctx.out.document({ plugin: p, manifest, install, stats, diskBytes: disk });
    return EXIT.OK;
  }
  const { out } = ctx;
  out.line(`${out.style('bold', p.name)} ${p.version}${p.description ? ` — ${p.description}` : ''}`);
  out.line(
    `  state      ${p.state}${p.enabled ? '' : ' (disabled)'}${p.lastError ? ` — last error: ${p.lastError}` : ''}`,
  );
  out.line(`  manifest   ${p.manifestPath}`);
  if (install) out.line(`  source     ${install.source} (installed ${install.installedAt}, ${install.runtime})`);
  if (disk !== null) out.line(`  disk       ${formatBytes(disk)} (${dirname(p.manifestPath)})`);
  out.line(`  resources  ${resourcesText(p.resources)}`);
  const caps = Object.entries(p.capabilities)
    .filter(([, v]) => v)
    .map(([k]) => k);
  out.line(`  can        ${caps.join(', ') || 'unknown until loaded'}`);
  out.line(`  config     ${JSON.stringify(p.config)}`);
  const schema = manifest.configSchema as
    | { properties?: Record<string, { type?: unknown; description?: string; default?: unknown }> }
    | undefined;
  if (schema?.properties) {
    out.line('  config schema:');
    for (const [key, prop] of Object.entries(schema.properties)) {
      const dflt = prop.default !== undefined ? ` (default ${JSON.stringify(prop.default)})` : '';
      out.line(`    ${key}: ${String(prop.type ?? 'any')}${dflt}${prop.description ? ` — ${prop.description}` : ''}`);
    }
  }
  const input = manifest.inputSchema as
    | { properties?: Record<string, { type?: unknown }>; required?: string[] }
    | undefined;
  if (input?.properties) {
    out.line('  input schema:');
    for (const [key, prop] of Object.entries(input.properties)) {
      out.line(`    ${key}: ${String(prop.type ?? 'any')}${input.required?.includes(key) ? ' (required)' : ''}`);
    }
  }
  if (stats)
    out.line(
      `  stats      pid ${stats.pid}, ${stats.cpuPercent.toFixed(0)}% CPU, ${(stats.rssBytes / 2 ** 20).toFixed(0)} MiB RSS, ${stats.calls} calls`,
    );
  else out.line('  stats      not running');
  return EXIT.OK;
}

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

export async function enable(ctx: CommandContext, name: string): Promise<number> {
  return setEnabled(ctx, name, true);
}

export async function disable(ctx: CommandContext, name: string): Promise<number> {
  return setEnabled(ctx, name, false);
}

async function setEnabled(ctx: CommandContext, name: string, on: boolean): Promise<number> {
  await using access = await openPlugins(ctx);
  await findPlugin(await access.plugins(), name);
  await access.setEnabled(name, on);
  if (ctx.out.json) ctx.out.document({ name, enabled: on });
  else ctx.out.line(`${name}: ${on ? 'enabled' : 'disabled'}`);
  return EXIT.OK;
}

export async function uninstall(ctx: CommandContext, name: string): Promise<number> {
  let p: PluginSummary;
  {
    await using access = await openPlugins(ctx);
    p = await findPlugin(await access.plugins(), name);
    if (access.remote && p.pid !== null) {
      throw new CliError('ERR_UNINSTALL_REFUSED', `${name} is running in the Bulkhead host`, {
        hint: `disable it first: \`bulkhead disable ${name}\``,
        data: { name, reason: 'running' },
      });
    }
  }
  const dir = dirname(p.manifestPath);
  const record = await installRecord(p);
  const pluginsDir = join(ctx.home, 'plugins');
  if (record === null || relative(pluginsDir, dir).startsWith('..')) {
    throw new CliError(
      'ERR_UNINSTALL_REFUSED',
      `${name} was not installed by \`bulkhead install\` (its manifest is ${p.manifestPath})`,
      {
        hint: 'remove its manifest yourself, or take its directory off BULKHEAD_PLUGIN_PATH',
        data: { name, reason: 'not-installed-by-bulkhead', manifest: p.manifestPath },
      },
    );
  }
  await rm(dir, { recursive: true, force: true });
  if (ctx.out.json) ctx.out.document({ name, removed: dir });
  else ctx.out.line(`${name}: uninstalled (removed ${dir})`);
  return EXIT.OK;
}

export async function findPlugin(plugins: PluginSummary[], name: string): Promise<PluginSummary> {
  const p = plugins.find((x) => x.name === name);
  if (p) return p;
  const { didYouMean } = await import('../../manifest/did-you-mean.js');
  const guess = didYouMean(
    name,
    plugins.map((x) => x.name),
  );
  throw new CliError('ERR_UNKNOWN_PLUGIN', `no plugin named "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`, {
    data: { name, ...(guess ? { known: [guess] } : {}) },
  });
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
  const { didYouMean } = await import('../../manifest/did-you-mean.js');
  const guess = didYouMean(top, Object.keys(properties));
  throw new CliError(
    'ERR_CONFIG_INVALID',
    `${p.name} has no config key "${top}"${guess ? ` (did you mean "${guess}"?)` : ''}; nothing changed`,
    { hint: `its keys: ${Object.keys(properties).join(', ')} (\`bulkhead info ${p.name}\`)` },
  );
}

async function installRecord(p: PluginSummary): Promise<InstallRecord | null> {
  try {
    return JSON.parse(await readFile(join(dirname(p.manifestPath), INSTALL_RECORD), 'utf8')) as InstallRecord;
  } catch {
    return null;
  }
}

/** A pinned Node shows its version; one on the host's Node says so. */
function nodeColumn(install: InstallRecord | null): string {
  if (!install?.pinnedNode) return 'host';
  return install.runtime.replace(/^node /, '');
}

function envColumn(ctx: CommandContext, p: PluginSummary): string {
  const dir = dirname(p.manifestPath);
  const rel = relative(ctx.home, dir);
  return rel.startsWith('..') ? dir : `<home>/${rel}`;
}

export function resourcesText(r: PluginSummary['resources']): string {
  const parts: string[] = [];
  if (r.memoryMB) parts.push(`${r.memoryMB} MiB RAM`);
  if (r.gpuMemoryMB) parts.push(`${r.gpuMemoryMB} MiB GPU`);
  if (r.gpus) parts.push(`${r.gpus} GPU`);
  if (r.cpus) parts.push(`${r.cpus} CPU`);
  return parts.join(', ') || '-';
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
