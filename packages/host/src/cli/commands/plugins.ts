/**
 * The plugin commands: list, info, config get|set, enable, disable, uninstall. They work on a
 * running host when there is one (so a config change reaches a live worker), else on the home.
 * @module
 */

import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import { diskUsage } from '../../install/disk-usage.js';
import { INSTALL_RECORD, type InstallRecord } from '../../install/environment.js';
import type { PluginSummary } from '../../manager/types.js';
import { CliError } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { findPlugin } from '../find-plugin.js';
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

/** `bulkhead plugins reset NAME`: close a plugin's circuit breaker in the running host. */
export async function reset(ctx: CommandContext, name: string): Promise<number> {
  await using access = await openPlugins(ctx);
  await findPlugin(await access.plugins(), name);
  const closed = await access.reset(name);
  if (ctx.out.json) ctx.out.document({ name, reset: closed });
  else
    ctx.out.line(
      closed
        ? `${name}: circuit closed; its waiting jobs start again`
        : `${name}: no Bulkhead host runs, so no circuit is open (circuits live in the running host)`,
    );
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
