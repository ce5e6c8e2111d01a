/**
 * `bulkhead install`: every plugin of a plugins.yaml into its own environment. Plugins are
 * independent: one that fails is reported with its error and the rest are installed anyway. An
 * unchanged plugin (same fingerprint as its install record) is skipped, so running install again is
 * cheap; `force` names plugins (or sources) to redo regardless.
 * @module
 */

import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BulkheadError, toBulkheadError } from '@bulkhead/sdk/errors';
import { diskFullError, isDiskFull } from '../disk/disk-full.js';
import { loadManifest } from '../manifest/index.js';
import type { LockHolder, LockTakeover } from '../process/lock-file.js';
import { bulkheadHome } from '../util/home.js';
import { hostSdk, type InstallRecord, type InstallStep, installOne, readInstallRecord } from './environment.js';
import { fingerprint } from './fingerprint.js';
import { lockInstalls } from './install-lock.js';
import { stopLeftoverNpm } from './npm.js';
import type { PluginsFile, PluginsFileEntry } from './plugins-file.js';
import { classifyPythonSource, type PythonSource } from './python-source.js';
import { type PluginSource, resolveSource } from './source.js';

function resolvePythonSource(written: string, baseDir: string): PythonSource {
  const source = classifyPythonSource(written, baseDir);
  if ('problem' in source) throw new BulkheadError('ERR_INVALID_ARGUMENT', `"${written}" ${source.problem}`);
  return source;
}

export interface InstallOptions {
  home?: string;
  env?: NodeJS.ProcessEnv;
  /** Plugin names or sources to reinstall even if unchanged; `true` for all. */
  force?: boolean | string[];
  /** Plugins installed at once. Default 2 (npm is mostly waiting on disk and network). */
  parallel?: number;
  /** Stops the installs in progress (npm is killed, nothing of theirs is kept) and starts no more. */
  signal?: AbortSignal;
  /** Another install holds this home: called once with its holder, then this one waits for it. */
  onWait?: (holder: LockHolder) => void;
  /** A lock left by an install that died (or an unreadable one) was taken over. */
  onTakeover?: (takeover: LockTakeover) => void;
  onEvent?: (event: InstallEvent) => void;
}

export type InstallEvent =
  | { type: 'start'; source: string; index: number }
  | { type: 'step'; source: string; index: number; step: InstallStep }
  /** A line of pip's or uv's output while a Python plugin installs. */
  | { type: 'output'; source: string; index: number; line: string }
  | { type: 'done'; source: string; index: number; outcome: InstallOutcome };

export type InstallOutcome =
  | { status: 'installed' | 'unchanged'; name: string; version: string; dir: string; ms: number }
  | { status: 'failed'; error: BulkheadError; ms: number };

export interface InstallReport {
  file: string;
  plugins: ({ source: string; index: number } & InstallOutcome)[];
}

export async function installPlugins(file: PluginsFile, options: InstallOptions = {}): Promise<InstallReport> {
  const env = options.env ?? process.env;
  const home = options.home ?? bulkheadHome(env);
  const pluginsDir = join(home, 'plugins');
  const release = await lockInstalls(pluginsDir, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onWait ? { onWait: options.onWait } : {}),
    ...(options.onTakeover ? { onTakeover: options.onTakeover } : {}),
  });
  try {
    // Holding the lock, anything in staging is left over from an install that died, maybe with its
    // npm still at work there.
    await stopLeftoverNpm(join(pluginsDir, '.staging'));
    await rm(join(pluginsDir, '.staging'), { recursive: true, force: true });
    return await installLocked(file, options, env, home, pluginsDir);
  } finally {
    await rm(join(pluginsDir, '.staging'), { recursive: true, force: true }).catch(() => {});
    await release();
  }
}

async function installLocked(
  file: PluginsFile,
  options: InstallOptions,
  env: NodeJS.ProcessEnv,
  home: string,
  pluginsDir: string,
): Promise<InstallReport> {
  const installed = await installedRecords(pluginsDir);
  const sdk = hostSdk();
  const results: InstallReport['plugins'] = [];
  const queue = [...file.plugins];
  const names = new NameClaims(file);
  const worker = async () => {
    for (let entry = queue.shift(); entry !== undefined && !options.signal?.aborted; entry = queue.shift()) {
      const outcome = await installEntry(entry);
      results.push({ source: entry.source, index: entry.index, ...outcome });
      options.onEvent?.({ type: 'done', source: entry.source, index: entry.index, outcome });
    }
  };
  const installEntry = async (entry: PluginsFileEntry): Promise<InstallOutcome> => {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    options.onEvent?.({ type: 'start', source: entry.source, index: entry.index });
    try {
      const source =
        entry.runtime === 'python'
          ? resolvePythonSource(entry.source, file.dir)
          : resolveSource(entry.source, file.dir);
      await checkLocalSource(source, file, entry);
      const { line: _line, index: _index, ...fields } = entry;
      const extra = typeof entry.requirements === 'string' ? [join(file.dir, entry.requirements)] : [];
      const print = await fingerprint(source, fields, sdk.version, extra);
      const previous = installed.find((p) => p.record.spec === source.spec);
      const forced =
        options.force === true ||
        (Array.isArray(options.force) &&
          options.force.some((f) => f === entry.source || f === entry.name || f === previous?.name));
      if (previous && previous.record.fingerprint === print && !forced) {
        names.claim(previous.name, entry);
        return { status: 'unchanged', name: previous.name, version: previous.version, dir: previous.dir, ms: ms() };
      }
      const { manifest, dir } = await installOne({
        pluginsDir,
        entry,
        source,
        fingerprint: print,
        sdkDir: sdk.dir,
        baseDir: file.dir,
        env,
        onLine: (line) => options.onEvent?.({ type: 'output', source: entry.source, index: entry.index, line }),
        logDir: join(home, 'logs'),
        ...(options.signal ? { signal: options.signal } : {}),
        onStep: (step) => options.onEvent?.({ type: 'step', source: entry.source, index: entry.index, step }),
        claim: (name) => names.claim(name, entry),
      });
      // The same source installed before under another name: that install is replaced by this one.
      if (previous && previous.dir !== dir) await rm(previous.dir, { recursive: true, force: true });
      return { status: 'installed', name: manifest.name, version: manifest.version, dir, ms: ms() };
    } catch (e) {
      const error = isDiskFull(e) ? diskFullError(pluginsDir, `the install of ${entry.source}`, e) : toBulkheadError(e);
      return { status: 'failed', error, ms: ms() };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel ?? 2, file.plugins.length)) }, worker));
  results.sort((a, b) => a.index - b.index);
  names.settle(results);
  return { file: file.file, plugins: results };
}

/**
 * One name, one plugin: two entries whose plugins call themselves the same would share one
 * directory, and whichever finished last would win. The earlier line keeps the name; every later
 * one fails, naming both lines. Claimed just before a plugin is put in place, so a later line that
 * finished first is refused when the earlier one claims (and the earlier one replaces it).
 */
class NameClaims {
  readonly #file: PluginsFile;
  readonly #holders = new Map<string, PluginsFileEntry>();
  readonly #refused = new Map<number, BulkheadError>();

  constructor(file: PluginsFile) {
    this.#file = file;
  }

  claim(name: string, entry: PluginsFileEntry): void {
    const holder = this.#holders.get(name);
    if (holder === undefined || holder.index === entry.index) {
      this.#holders.set(name, entry);
      return;
    }
    const [first, later] = holder.index < entry.index ? [holder, entry] : [entry, holder];
    const where = relativeName(this.#file.file);
    const error = new BulkheadError(
      'ERR_INSTALL_FAILED',
      `${where}:${later.line}: plugins[${later.index}] installs a plugin named "${name}", as ${where}:${first.line} ` +
        `(plugins[${first.index}]) does: two plugins cannot share a name; remove one, or rename its package`,
      { name, lines: [first.line, later.line] },
    );
    this.#refused.set(later.index, error);
    this.#holders.set(name, first);
    if (later === entry) throw error;
  }

  /** A later line that was put in place before the earlier one claimed its name fails after all. */
  settle(results: InstallReport['plugins']): void {
    for (const [i, r] of results.entries()) {
      const error = this.#refused.get(r.index);
      if (error !== undefined && r.status !== 'failed')
        results[i] = { source: r.source, index: r.index, status: 'failed', error, ms: r.ms };
    }
  }
}

/**
 * A local source that is not there is a mistake in the file, reported where it is written, not
 * as whatever npm would make of it.
 */
async function checkLocalSource(
  source: PluginSource | PythonSource,
  file: PluginsFile,
  entry: PluginsFileEntry,
): Promise<void> {
  const isDir = source.kind === 'directory' || source.kind === 'python-directory';
  if (!isDir && source.kind !== 'tarball' && source.kind !== 'python-file') return;
  const st = await stat(source.spec).catch(() => null);
  const want = isDir ? 'directory' : 'file';
  const ok = st !== null && (isDir ? st.isDirectory() : st.isFile());
  if (!ok) {
    throw new BulkheadError(
      'ERR_INSTALL_FAILED',
      `${relativeName(file.file)}:${entry.line}: plugins[${entry.index}].source: no such ${want}: ${source.spec}`,
    );
  }
}

function relativeName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

interface Installed {
  name: string;
  version: string;
  dir: string;
  record: InstallRecord;
}

/** Plugins installed by `bulkhead install` (those with an install record and a valid manifest). */
export async function installedRecords(pluginsDir: string): Promise<Installed[]> {
  let names: string[];
  try {
    names = (await readdir(pluginsDir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name);
  } catch {
    return [];
  }
  const found = await Promise.all(
    names.map(async (n): Promise<Installed | null> => {
      const dir = join(pluginsDir, n);
      const record = await readInstallRecord(dir);
      if (record === null) return null;
      try {
        const { manifest } = await loadManifest(join(dir, 'bulkhead-plugin.json'));
        return { name: manifest.name, version: manifest.version, dir, record };
      } catch {
        return null;
      }
    }),
  );
  return found.filter((f): f is Installed => f !== null);
}
