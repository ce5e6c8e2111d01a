/**
 * The `plugins` check: what discovery finds, plus one check per invalid manifest
 * (`plugin-manifest:<file>`) and per plugin with a pinned Node binary (`plugin-node:<name>`).
 * @module
 */
import { readFile } from 'node:fs/promises';
import { discover, searchPaths } from '../../manifest/discover.js';
import type { CommandRunner } from '../../resources/command-runner.js';
import { type DoctorCheck, type DoctorContext, errorCode, fail, firstLine, ok, warn } from './check.js';
import { checkNodeVersion } from './node.js';

export async function checkPlugins(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const found = await discover(searchPaths(undefined, { ...ctx.env, BULKHEAD_HOME: ctx.home }));
  const n = found.plugins.length;
  const where = found.searchPaths.join(', ');
  const notes = [
    found.shadowed.length > 0 ? `${found.shadowed.length} shadowed` : '',
    found.errors.length > 0 ? `${found.errors.length} invalid` : '',
  ].filter((s) => s !== '');
  const detail =
    n === 0 && found.errors.length === 0
      ? `no plugins installed (looked in ${where})`
      : `${n} plugin${n === 1 ? '' : 's'} in ${where}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;

  const invalid = found.errors.map(async (error): Promise<DoctorCheck> => {
    const name = await manifestName(error.file);
    if (name === undefined) {
      const check = warn(error.message, `correct ${error.file}, or remove its directory`);
      return { id: `plugin-manifest:${error.file}`, title: 'Plugin manifest', ...check };
    }
    const reinstall = `bulkhead install --force ${name}`;
    // A pinned Node binary that is gone fails discovery, and the plugin cannot start at all.
    if (error.field === '/node') return { ...pluginNode(name), ...fail(error.message, reinstall) };
    const check = warn(error.message, `correct the manifest, or reinstall: ${reinstall}`);
    return { id: `plugin-manifest:${error.file}`, title: `Plugin manifest of ${name}`, ...check };
  });

  // Several plugins may pin one binary: each runs once.
  const versions = new Map<string, Promise<{ good: boolean; detail: string }>>();
  const pinned = found.plugins.flatMap((p) => {
    const { nodePath, manifest } = p;
    if (nodePath === undefined) return [];
    if (!versions.has(nodePath)) versions.set(nodePath, pinnedNodeVersion(ctx, nodePath));
    return versions.get(nodePath)!.then(({ good, detail }): DoctorCheck => {
      const check = good ? ok(detail) : fail(detail, `bulkhead install --force ${manifest.name}`);
      return { ...pluginNode(manifest.name), ...check };
    });
  });
  return [{ id: 'plugins', title: 'Plugins', ...ok(detail) }, ...(await Promise.all([...invalid, ...pinned]))];
}

function pluginNode(name: string): Pick<DoctorCheck, 'id' | 'title'> {
  return { id: `plugin-node:${name}`, title: `Node for plugin ${name}` };
}

async function pinnedNodeVersion(ctx: DoctorContext, nodePath: string): Promise<{ good: boolean; detail: string }> {
  let result: Awaited<ReturnType<CommandRunner>>;
  try {
    result = await ctx.run(nodePath, ['--version'], { timeoutMs: ctx.timeoutMs });
  } catch (e) {
    return { good: false, detail: `${nodePath} does not run: ${errorCode(e) ?? firstLine(e)}` };
  }
  if (result.exitCode !== 0) {
    const output = firstLine(result.stderr || result.stdout);
    return { good: false, detail: `${nodePath} --version exited with code ${result.exitCode}: ${output}` };
  }
  const version = result.stdout.trim();
  if (checkNodeVersion(version).status === 'fail') {
    return { good: false, detail: `${nodePath} is Node ${version}, older than 22.13` };
  }
  return { good: true, detail: `${nodePath} runs Node ${version}` };
}

/** The `name` of a manifest that failed validation, when that much of it is readable. */
async function manifestName(file: string): Promise<string | undefined> {
  try {
    const name = (JSON.parse(await readFile(file, 'utf8')) as { name?: unknown }).name;
    // It goes into a command line: refuse anything a shell would read differently.
    return typeof name === 'string' && /^[\w@./-]+$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}
