/**
 * Installs one Python plugin into a virtual environment of its own (`<dir>/venv`), so two plugins
 * may need conflicting versions of one library: made with uv when it is on the machine (much
 * faster), else with `python -m venv` and pip; or, for a `conda:` entry, a conda environment made by
 * mamba or conda. The plugin and Bulkhead's Python SDK (packages/python) are installed into it, the
 * plugin is started once there, and its manifest is written from what its handshake reports.
 *
 * Like the Node install (environment.ts) everything happens in a staging directory renamed into
 * place at the end. A venv survives the rename: its `bin/python` finds its `pyvenv.cfg` beside it.
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, delimiter, dirname, join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { loadManifest, MANIFEST_FILE, type PluginManifest } from '../manifest/index.js';
import { PluginProcess } from '../process/plugin-process.js';
import { HOST_PYTHON_SDK } from '../process/worker-command.js';
import type { InstallRecord, InstallStep } from './environment.js';
import { checkReportedName, installedManifest } from './installed-manifest.js';
import { runTool } from './pip.js';
import type { PluginsFileEntry } from './plugins-file.js';
import { pickPython } from './python-interpreters.js';
import type { PythonSource } from './python-source.js';

export const VENV_PYTHON = 'venv/bin/python';

export interface PythonInstallOptions {
  staging: string;
  entry: PluginsFileEntry;
  source: PythonSource;
  fingerprint: string;
  /** The plugins.yaml's directory (a requirements file is relative to it). */
  baseDir: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onStep?: (step: InstallStep) => void;
  onLine?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface PythonInstallResult {
  manifest: PluginManifest;
  record: InstallRecord;
}

/** The uv to use: `BULKHEAD_UV` (a path, or `0` for none), else `uv` on PATH, else none. */
export function findUv(env: NodeJS.ProcessEnv): string | undefined {
  if (env.BULKHEAD_UV === '0') return undefined;
  if (env.BULKHEAD_UV) return env.BULKHEAD_UV;
  return onPath('uv', env);
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** The Python SDK's project directory (pip installs it like any local project). */
export function pythonSdkDir(): string {
  const dir = dirname(HOST_PYTHON_SDK);
  if (!existsSync(join(dir, 'pyproject.toml'))) {
    throw new BulkheadError('ERR_INSTALL_FAILED', `Bulkhead's Python SDK is not beside this host (looked in ${dir})`);
  }
  return dir;
}

export async function installPython(o: PythonInstallOptions): Promise<PythonInstallResult> {
  const { staging, entry, source } = o;
  const env = o.env ?? process.env;
  const tool = {
    cwd: staging,
    env,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onLine ? { onLine: o.onLine } : {}),
  };
  o.onStep?.('venv');
  const { python, how } = await makeEnvironment(o, env, tool);

  o.onStep?.('pip');
  const installs: string[] = [pythonSdkDir()];
  if (typeof entry.requirements === 'string') installs.push('-r', join(o.baseDir, entry.requirements));
  else if (Array.isArray(entry.requirements)) installs.push(...entry.requirements);
  let entrySpec = entry.entry;
  if (source.kind === 'python-file') {
    await mkdir(join(staging, 'plugin'), { recursive: true });
    const copied = join('plugin', basename(source.spec));
    await copyFile(source.spec, join(staging, copied));
    entrySpec =
      entry.entry === undefined ? copied : entry.entry.startsWith(':') ? `${copied}${entry.entry}` : entry.entry;
  } else {
    installs.push(source.spec);
  }
  const uv = how === 'uv' ? findUv(env) : undefined;
  // --compile-bytecode: a worker's cold start must not compile the SDK and the plugin every time (an
  // environment with PYTHONDONTWRITEBYTECODE never caches them); pip compiles at install already.
  if (uv !== undefined)
    await runTool(uv, ['pip', 'install', '--compile-bytecode', '--python', python, ...installs], tool);
  else await runTool(python, ['-m', 'pip', 'install', '--no-input', ...installs], tool);

  entrySpec ??= await declaredEntry(python, source, env);
  o.onStep?.('probe');
  const info = await probe(staging, python, entrySpec, entry, o.startTimeoutMs ?? 60_000, o.signal);
  if (o.signal?.aborted) throw new BulkheadError('ERR_CANCELLED', 'install cancelled', { forced: false });
  checkReportedName(entry, info);
  o.onStep?.('write');
  const relPython = python.startsWith(`${staging}/`) ? python.slice(staging.length + 1) : python;
  const manifest = installedManifest(
    entry,
    info,
    source.written,
    { runtime: 'python', entry: entrySpec, python: relPython },
    o.baseDir,
  );
  const record: InstallRecord = {
    source: source.written,
    spec: source.spec,
    kind: source.kind,
    packageName: info.name,
    fingerprint: o.fingerprint,
    runtime: info.runtime,
    pinnedNode: null,
    installedAt: new Date().toISOString(),
    environment: how,
  };
  await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await loadManifest(join(staging, MANIFEST_FILE));
  return { manifest, record };
}

type Tool = Parameters<typeof runTool>[2];

/** Makes `<staging>/venv` (or `<staging>/env` for conda); the interpreter in it and what made it. */
async function makeEnvironment(
  o: PythonInstallOptions,
  env: NodeJS.ProcessEnv,
  tool: Tool,
): Promise<{ python: string; how: 'uv' | 'venv' | 'conda' }> {
  const { staging, entry } = o;
  if (entry.conda !== undefined) {
    const conda = ['mamba', 'micromamba', 'conda'].map((n) => onPath(n, env)).find((p) => p !== undefined);
    if (conda === undefined) {
      throw new BulkheadError(
        'ERR_INSTALL_FAILED',
        `plugins[${entry.index}] asks for a conda environment (conda: ${entry.conda}) but none of mamba, micromamba or conda is on PATH`,
      );
    }
    const file = join(o.baseDir, entry.conda);
    const args = basename(conda) === 'micromamba' ? ['create', '-y'] : ['env', 'create'];
    await runTool(conda, [...args, '-p', join(staging, 'env'), '-f', file], tool);
    return { python: join(staging, 'env', 'bin', 'python'), how: 'conda' };
  }
  const interpreter = await pickPython(entry.python, env);
  const uv = findUv(env);
  if (uv !== undefined) {
    await runTool(uv, ['venv', '--python', interpreter.path, join(staging, 'venv')], tool);
    return { python: join(staging, VENV_PYTHON), how: 'uv' };
  }
  await runTool(interpreter.path, ['-m', 'venv', join(staging, 'venv')], tool);
  return { python: join(staging, VENV_PYTHON), how: 'venv' };
}

const LIST_ENTRY_POINTS =
  'import importlib.metadata as m,json;print(json.dumps([[e.name,e.value] for e in m.entry_points(group="bulkhead.plugins")]))';

/** The plugin a package declares (`[project.entry-points."bulkhead.plugins"]`), when plugins.yaml names no entry. */
async function declaredEntry(python: string, source: PythonSource, env: NodeJS.ProcessEnv): Promise<string> {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(python, ['-c', LIST_ENTRY_POINTS], { env, timeout: 30_000 }, (err, stdout, stderr) =>
      err
        ? reject(new BulkheadError('ERR_INSTALL_FAILED', `cannot list entry points: ${stderr || err.message}`))
        : resolve(stdout),
    ),
  );
  const points = JSON.parse(out) as [string, string][];
  if (points.length === 1) return (points[0] as [string, string])[1];
  const listed = points.length === 0 ? 'none' : points.map(([n, v]) => `${n} = ${v}`).join(', ');
  throw new BulkheadError(
    'ERR_INSTALL_FAILED',
    `${source.written}: say which plugin to run: set "entry" (module:Name) in plugins.yaml, or declare one ` +
      `[project.entry-points."bulkhead.plugins"] in the package (found: ${listed})`,
  );
}

async function probe(
  staging: string,
  python: string,
  entrySpec: string,
  entry: PluginsFileEntry,
  timeoutMs: number,
  signal: AbortSignal | undefined,
) {
  const isFile = entrySpec.split(':')[0]?.endsWith('.py') === true;
  let proc: PluginProcess;
  try {
    proc = await PluginProcess.start({
      runtime: 'python',
      python,
      plugin: isFile ? join(staging, entrySpec) : entrySpec,
      cwd: staging,
      ...(entry.env !== undefined ? { env: entry.env } : {}),
      ...(entry.config !== undefined ? { config: entry.config } : {}),
      handshakeTimeoutMs: timeoutMs,
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if (e instanceof BulkheadError && e.code === 'ERR_CANCELLED') throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw new BulkheadError(
      'ERR_INSTALL_FAILED',
      `the plugin did not start in its environment: ${message}`,
      undefined,
      {
        cause: e,
      },
    );
  }
  const info = { ...proc.info };
  await proc.stop();
  return info;
}
