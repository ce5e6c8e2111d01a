/**
 * Installs one plugin into an environment of its own: a directory under `<home>/plugins` with its
 * own node_modules (so two plugins may need conflicting versions of one library), the host's SDK,
 * and, when asked, its own Node from the npm `node` package. The plugin is then started once, there,
 * and its manifest is written from what its handshake reports.
 *
 * Everything happens in a staging directory (`<home>/plugins/.staging`, which discovery skips) and
 * is renamed into place only once the manifest is written: a failed install leaves the previous
 * install, if any, exactly as it was, and never a half-written manifest.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { BulkheadError, isBulkheadError } from '@bulkhead/sdk/errors';
import { isDiskFull } from '../disk/disk-full.js';
import {
  describeIssues,
  loadManifest,
  MANIFEST_FILE,
  type PluginManifest,
  validateAgainstSchema,
} from '../manifest/index.js';
import { PluginProcess } from '../process/plugin-process.js';
import { resolveModuleFile } from '../process/resolve-module.js';
import { checkReportedName, installedManifest } from './installed-manifest.js';
import { checkNativeAddons } from './native-addons.js';
import { npmInstall } from './npm.js';
import { installedPackageName, packageEntry, readPackageJson } from './package-entry.js';
import { pinnedNpmEnv } from './pinned-node.js';
import type { PluginsFileEntry } from './plugins-file.js';
import { installPython } from './python-env.js';
import { isPythonSource, type PythonSource } from './python-source.js';
import type { PluginSource } from './source.js';

/** Written beside the manifest: what was installed, from where, and the fingerprint to skip on. */
export interface InstallRecord {
  source: string;
  spec: string;
  kind: PluginSource['kind'] | PythonSource['kind'];
  packageName: string;
  fingerprint: string;
  /** The Node the plugin reported at install (`node v22.1.0`). */
  runtime: string;
  /** The Node major it is pinned to, or null when it runs on the host's Node. */
  pinnedNode: number | null;
  installedAt: string;
  /** Python plugins: what made the environment (`uv`, `venv` + pip, or `conda`). */
  environment?: 'uv' | 'venv' | 'conda';
}

export const INSTALL_RECORD = 'install.json';
export const NODE_BIN = 'node_modules/node/bin/node';

export type InstallStep = 'node' | 'npm' | 'addons' | 'venv' | 'pip' | 'probe' | 'write';

export interface InstallOneOptions {
  pluginsDir: string;
  entry: PluginsFileEntry;
  source: PluginSource | PythonSource;
  fingerprint: string;
  /** The plugins.yaml's directory. */
  baseDir?: string;
  /** A line of pip's or uv's output, as it comes (progress while they run). */
  onLine?: (line: string) => void;
  /** The host's @bulkhead/sdk package directory (see {@link hostSdk}). */
  sdkDir: string;
  env?: NodeJS.ProcessEnv;
  /** Where npm's output of a failed install is kept (its staging directory is removed). */
  logDir?: string;
  signal?: AbortSignal;
  onStep?: (step: InstallStep) => void;
  /** How long the plugin's first start may take. Default 60 s (a model may load in initialize). */
  startTimeoutMs?: number;
  /** Called with the plugin's name before it is put in place; throws to refuse it (a duplicate name). */
  claim?: (name: string) => void;
}

/** The host's own SDK, installed into every environment so the worker speaks the host's protocol. */
export function hostSdk(): { dir: string; version: string } {
  const pkg = createRequire(import.meta.url).resolve('@bulkhead/sdk/package.json');
  const dir = realpathSync(dirname(pkg));
  const { version } = createRequire(import.meta.url)('@bulkhead/sdk/package.json') as { version: string };
  return { dir, version };
}

/** The directory name of a plugin: scoped names (`@org/x`) flattened. */
export function pluginDirName(name: string): string {
  return name.replaceAll('/', '__');
}

export async function installOne(options: InstallOneOptions): Promise<{ manifest: PluginManifest; dir: string }> {
  const { pluginsDir, entry, source } = options;
  const staging = join(pluginsDir, '.staging', `${Date.now()}-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  try {
    if (isPythonSource(source)) {
      const { manifest, record } = await installPython({
        staging,
        entry,
        source,
        fingerprint: options.fingerprint,
        baseDir: options.baseDir ?? process.cwd(),
        ...(options.env ? { env: options.env } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onStep ? { onStep: options.onStep } : {}),
        ...(options.onLine ? { onLine: options.onLine } : {}),
        ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
      });
      await writeFile(join(staging, INSTALL_RECORD), `${JSON.stringify(record, null, 2)}\n`);
      options.claim?.(manifest.name);
      const dir = join(pluginsDir, pluginDirName(manifest.name));
      await swapIn(staging, dir);
      return { manifest, dir };
    }
    await writeFile(
      join(staging, 'package.json'),
      `${JSON.stringify({ name: 'bulkhead-plugin-env', private: true, description: `environment of ${source.written}` }, null, 2)}\n`,
    );
    const npmOptions = {
      ...(options.env ? { env: options.env } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    try {
      // A pinned Node first, so the plugin's own install (native addons included) runs under it.
      let pinned: Awaited<ReturnType<typeof pinnedNpmEnv>> | undefined;
      if (entry.node !== undefined) {
        options.onStep?.('node');
        await npmInstall(staging, [`node@${entry.node}`], npmOptions);
        pinned = await pinnedNpmEnv(staging, options.env ?? process.env);
      }
      options.onStep?.('npm');
      try {
        await npmInstall(staging, [source.spec, options.sdkDir], {
          ...npmOptions,
          ...(pinned ? { env: pinned.env } : {}),
        });
      } finally {
        await pinned?.done();
      }
    } catch (e) {
      throw await keepLog(e, staging, source, options.logDir);
    }
    options.onStep?.('addons');
    await checkNativeAddons(
      staging,
      entry.node !== undefined ? join(staging, NODE_BIN) : process.execPath,
      options.signal,
    );

    options.onStep?.('probe');
    const packageName = await installedPackageName(staging, source.packageName);
    const packageDir = join(staging, 'node_modules', packageName);
    const named = join(packageDir, packageEntry(await readPackageJson(packageDir)));
    // As Node would resolve it (`"main": "index"`, a directory): the manifest names the file.
    const entryRel = relative(staging, resolveModuleFile(named) ?? named);
    const info = await probe(staging, entryRel, entry, options.startTimeoutMs ?? 60_000, options.signal);
    // Cancelled while it started: nothing of it is written or swapped in.
    if (options.signal?.aborted) throw new BulkheadError('ERR_CANCELLED', 'install cancelled', { forced: false });
    checkReportedName(entry, info);

    // As the manager checks every later change: a JSON Schema config is not checked in the worker.
    const issues = info.configSchema ? validateAgainstSchema(info.configSchema, entry.config ?? {}) : [];
    if (issues.length > 0) {
      throw new BulkheadError(
        'ERR_INSTALL_FAILED',
        `its config in plugins.yaml breaks its schema: ${describeIssues(issues)}`,
      );
    }

    options.onStep?.('write');
    const manifest = installedManifest(
      entry,
      info,
      source.written,
      { runtime: 'node', entry: entryRel, ...(entry.node !== undefined ? { node: NODE_BIN } : {}) },
      options.baseDir ?? process.cwd(),
    );
    const record: InstallRecord = {
      source: source.written,
      spec: source.spec,
      kind: source.kind,
      packageName,
      fingerprint: options.fingerprint,
      runtime: info.runtime,
      pinnedNode: entry.node ?? null,
      installedAt: new Date().toISOString(),
    };
    await writeFile(join(staging, INSTALL_RECORD), `${JSON.stringify(record, null, 2)}\n`);
    await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    // What discovery will read must pass discovery's own checks before it is put in place.
    await loadManifest(join(staging, MANIFEST_FILE));

    options.claim?.(info.name);
    const dir = join(pluginsDir, pluginDirName(info.name));
    await swapIn(staging, dir);
    return { manifest, dir };
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    if (isBulkheadError(e, 'ERR_INSTALL_FAILED') || isDiskFull(e)) throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw new BulkheadError('ERR_INSTALL_FAILED', message, undefined, { cause: e });
  }
}

/** npm's whole output outlives the staging directory: copied to `<logDir>/install-<source>.log`. */
async function keepLog(e: unknown, staging: string, source: PluginSource, logDir?: string): Promise<unknown> {
  if (logDir === undefined || !isBulkheadError(e, 'ERR_INSTALL_FAILED')) return e;
  const name = basename(source.written).replace(/[^A-Za-z0-9._@-]+/g, '_') || 'plugin';
  const kept = join(logDir, `install-${name}.log`);
  try {
    await mkdir(logDir, { recursive: true });
    await copyFile(join(staging, 'install.log'), kept);
  } catch {
    await rm(kept, { force: true }).catch(() => {}); // a full disk leaves no half copy
    return e;
  }
  return new BulkheadError('ERR_INSTALL_FAILED', `${e.message}\n(npm's whole output: ${kept})`, {
    ...(e.data as Record<string, unknown>),
    log: kept,
  });
}

/** Starts the plugin once in its environment and returns what its handshake says. */
async function probe(
  envDir: string,
  entryRel: string,
  entry: PluginsFileEntry,
  timeoutMs: number,
  signal: AbortSignal | undefined,
) {
  let proc: PluginProcess;
  try {
    proc = await PluginProcess.start({
      plugin: join(envDir, entryRel),
      cwd: envDir,
      ...(entry.node !== undefined ? { nodePath: join(envDir, NODE_BIN) } : {}),
      ...(entry.env !== undefined ? { env: entry.env } : {}),
      ...(entry.config !== undefined ? { config: entry.config } : {}),
      handshakeTimeoutMs: timeoutMs,
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if (isBulkheadError(e, 'ERR_CANCELLED')) throw e;
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
  const info = { ...proc.info, runtime: proc.info.runtime };
  await proc.stop();
  return info;
}

/**
 * Puts the new environment where the old one was. The old one is moved aside first and removed
 * after, so at every moment the final path holds a complete install or nothing.
 */
async function swapIn(staging: string, dir: string): Promise<void> {
  const aside = `${staging}-old`;
  let moved = false;
  try {
    await rename(dir, aside);
    moved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    await rename(staging, dir);
  } catch (e) {
    if (moved) await rename(aside, dir);
    throw e;
  }
  if (moved) await rm(aside, { recursive: true, force: true });
}

/** The install record of an installed plugin directory, or null if it has none. */
export async function readInstallRecord(dir: string): Promise<InstallRecord | null> {
  try {
    return JSON.parse(await readFile(join(dir, INSTALL_RECORD), 'utf8')) as InstallRecord;
  } catch {
    return null;
  }
}
