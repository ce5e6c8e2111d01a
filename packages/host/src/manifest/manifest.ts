/**
 * A plugin manifest (`bulkhead-plugin.json`): its type, and loading one into a plugin the manager
 * can start, with every path resolved and checked.
 * @module
 */
import { readFile as readFileCallback, type Stats, stat as statCallback } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { resolveModuleFile } from '../process/resolve-module.js';
import { jsonSyntaxError } from './json-syntax-error.js';
import { type ManifestProblem, manifestProblems } from './manifest-validator.js';

// The callback forms, promisified: fs/promises' readFile takes about twice as long for small files
// (more trips through the thread pool), and discovery reads thousands of them.
const readFile = promisify(readFileCallback);
const stat = promisify(statCallback);

/** The file name discovery looks for. */
export const MANIFEST_FILE = 'bulkhead-plugin.json';

/** What one running worker of a plugin needs. */
export interface PluginResources {
  /** RAM, in MiB; also the worker's memory limit unless `limits.memoryMB` says otherwise. */
  memoryMB?: number;
  /** GPU memory, in MiB. */
  gpuMemoryMB?: number;
  /** Whole GPUs. */
  gpus?: number;
  /** CPU cores (fractions allowed). */
  cpus?: number;
}

/** What the host enforces on each worker of a plugin (manager/worker-limits.ts, process/cgroup-memory.ts, manager/gpu-recycling.ts). */
export interface PluginLimits {
  /**
   * Memory limit, MiB: a Node worker's heap cap, and its group's RSS is killed past it (ERR_WORKER_OOM).
   * Default `resources.memoryMB`; `null`: no limit (the reservation stays a reservation only).
   */
  memoryMB?: number | null;
  /** Restart the worker, once idle, after this many calls. */
  recycleAfterCalls?: number;
  /** Restart the worker, once idle, when its RSS grew by more than this many MiB since it loaded. */
  recycleAfterGrowthMB?: number;
  /** Restart the worker, once idle after calls, when its GPU memory grew by more than this many MiB since it loaded. */
  recycleAfterGpuLeakMB?: number;
}

/** Node workers: what Node's permission model allows it (process/node-permissions.ts). */
export interface PluginPermissions {
  /** Paths (files or directories, relative to the manifest's directory) it may read. */
  fsRead?: string[];
  /** Paths it may write (and read). */
  fsWrite?: string[];
  /** May it start child processes. Default false. */
  childProcess?: boolean;
  /** May it start worker threads. Default false. */
  workerThreads?: boolean;
  /** May it load native addons. Default false. */
  addons?: boolean;
}

/** What a plugin declares it implements, before it is loaded. */
export interface ManifestCapabilities {
  execute?: boolean;
  stream?: boolean;
  cancel?: boolean;
  progress?: boolean;
  configure?: boolean;
  binary?: boolean;
  /** The worker hands very large binaries over by file (protocol 1.1). */
  handoff?: boolean;
}

/**
 * A manifest as loaded, with the schema's defaults applied (`category`, `concurrency`). Mirrors
 * `schemas/manifest.schema.json`, whose descriptions say what each field means; paths here are
 * as written (relative to the manifest's directory or absolute); {@link DiscoveredPlugin} has them resolved.
 */
export interface PluginManifest {
  /** Where editors find the schema; ignored. */
  $schema?: string;
  manifestVersion: 1;
  name: string;
  version: string;
  description?: string;
  author?: string;
  /** The npm spec or path it was installed from. */
  package?: string;
  /** Default `general`. */
  category: string;
  /** Which worker runs it. Default `node`. */
  runtime: 'node' | 'python';
  /** The plugin module (Node), or `file.py[:Name]` / `module[:Name]` (Python). */
  entry: string;
  /** `runtime: python`: the interpreter. Default `python3` from PATH. */
  python?: string;
  /** The environment directory, the worker's cwd. Default: the manifest's directory. */
  env?: string;
  /** The Node binary to run it with. Default: the host's. */
  node?: string;
  /** Variables set in the worker's environment, over the host's. */
  envVars?: Record<string, string>;
  /** Host variables its worker inherits beyond the minimal set: `NAME` or `PREFIX*`. */
  passEnv?: string[];
  configSchema?: Record<string, unknown>;
  /** Default config values. */
  config?: Record<string, unknown>;
  resources?: PluginResources;
  /** What the host enforces (memory limit, recycling). */
  limits?: PluginLimits;
  /** Node workers: what Node's permission model lets it do (a seat belt, not a sandbox). */
  permissions?: PluginPermissions;
  capabilities?: ManifestCapabilities;
  /** Calls one worker may run at once. Default 1. */
  concurrency: number;
  /** JSON Schema of execute's input. */
  inputSchema?: Record<string, unknown>;
}

/** A valid manifest and the absolute paths it names. */
export interface DiscoveredPlugin {
  manifest: PluginManifest;
  /** Absolute path of the `bulkhead-plugin.json`. */
  manifestPath: string;
  /** The manifest's directory. */
  dir: string;
  /** The plugin module, resolved; for Python a module entry (`pkg.mod:Name`) stays as written. */
  entryPath: string;
  /** `runtime: python`: the interpreter, resolved when it is a path. */
  pythonPath?: string;
  /** The worker's cwd: `env`, or the manifest's directory. */
  envDir: string;
  /** The Node binary named by `node`; absent means the host's own. */
  nodePath?: string;
  /** The search path it was discovered in (absent when loaded directly). */
  searchPath?: string;
}

/**
 * Reads, validates and resolves one manifest. Throws `ERR_MANIFEST_INVALID` with
 * `data: { file, field? }` and a message naming both, listing every problem found, e.g.
 * `/p/x/bulkhead-plugin.json: /resources/gpuMemoryMB must be >= 0`.
 *
 * @example
 * const plugin = await loadManifest('/opt/plugins/ocr/bulkhead-plugin.json');
 * await PluginProcess.start({ plugin: plugin.entryPath, cwd: plugin.envDir, nodePath: plugin.nodePath });
 */
export async function loadManifest(file: string): Promise<DiscoveredPlugin> {
  const manifestPath = resolve(file);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw invalid(manifestPath, [{ message: `cannot be read (${reason})` }], e);
  }
  return parseManifest(manifestPath, text);
}

/** {@link loadManifest} for a file already read; `manifestPath` must be absolute. @internal */
export async function parseManifest(manifestPath: string, text: string): Promise<DiscoveredPlugin> {
  let data: unknown;
  try {
    // Editors on Windows save JSON with a byte-order mark, which JSON.parse refuses.
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    const why = text.trim() === '' ? 'the file is empty' : jsonSyntaxError(text, e);
    throw invalid(manifestPath, [{ message: `not valid JSON (${why})` }], e);
  }
  const problems = manifestProblems(data);
  if (problems.length > 0) throw invalid(manifestPath, problems);

  const manifest = data as PluginManifest;
  manifest.runtime ??= 'node';
  const dir = dirname(manifestPath);
  const python = manifest.runtime === 'python';
  // A Python entry names a file only when it looks like one; `pkg.mod:Name` is imported.
  const [pyTarget = '', ...pyAttr] = manifest.entry.split(':');
  const pyFile = python && (pyTarget.endsWith('.py') || pyTarget.includes('/'));
  // A Node entry is found as Node finds a module: `index` is index.js, a directory its main or index.js.
  const nodeEntry = resolve(dir, manifest.entry);
  const entryPath = !python
    ? (resolveModuleFile(nodeEntry) ?? nodeEntry)
    : pyFile
      ? [resolve(dir, pyTarget), ...pyAttr].join(':')
      : manifest.entry;
  const pythonPath =
    manifest.python === undefined
      ? undefined
      : manifest.python.includes('/')
        ? resolve(dir, manifest.python)
        : manifest.python;
  const envDir = resolve(dir, manifest.env ?? '.');
  const nodePath = manifest.node === undefined ? undefined : resolve(dir, manifest.node);
  // A missing entry would otherwise surface only when the plugin is first started, far from the
  // manifest that is wrong; checking now costs one stat each, run together.
  const [entryProblem, envProblem, nodeProblem, pythonProblem] = await Promise.all([
    python && !pyFile
      ? undefined
      : pathProblem(
          python ? resolve(dir, pyTarget) : entryPath,
          'file',
          `entry file ${manifest.entry}`,
          `entry ${manifest.entry}`,
          '/entry',
        ),
    manifest.env === undefined
      ? undefined
      : pathProblem(envDir, 'directory', `env directory ${manifest.env}`, `env ${manifest.env}`, '/env'),
    nodePath === undefined
      ? undefined
      : pathProblem(nodePath, 'file', `node binary ${manifest.node}`, `node ${manifest.node}`, '/node'),
    pythonPath === undefined || !pythonPath.includes('/')
      ? undefined
      : pathProblem(
          pythonPath,
          'file',
          `python interpreter ${manifest.python}`,
          `python ${manifest.python}`,
          '/python',
        ),
  ]);
  const pathProblems = [entryProblem, envProblem, nodeProblem, pythonProblem].filter((p) => p !== undefined);
  if (manifest.runtime !== 'python' && manifest.python !== undefined) {
    pathProblems.push({ field: '/python', message: 'python is set but runtime is not "python"' });
  }
  if (manifest.runtime === 'python' && manifest.node !== undefined) {
    pathProblems.push({ field: '/node', message: 'node is set but runtime is "python"' });
  }
  if (pathProblems.length > 0) throw invalid(manifestPath, pathProblems);

  const plugin: DiscoveredPlugin = { manifest, manifestPath, dir, entryPath, envDir };
  if (nodePath !== undefined) plugin.nodePath = nodePath;
  if (pythonPath !== undefined) plugin.pythonPath = pythonPath;
  return plugin;
}

async function pathProblem(
  path: string,
  want: 'file' | 'directory',
  missing: string,
  wrongKind: string,
  field: string,
): Promise<ManifestProblem | undefined> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch {
    return { field, message: `${missing} does not exist` };
  }
  if (want === 'file' ? info.isFile() : info.isDirectory()) return undefined;
  return { field, message: `${wrongKind} is not a ${want}` };
}

function invalid(file: string, problems: ManifestProblem[], cause?: unknown): BulkheadError<'ERR_MANIFEST_INVALID'> {
  const field = problems.find((p) => p.field !== undefined && p.field !== '')?.field;
  const message = `${file}: ${problems.map((p) => p.message).join('; ')}`;
  const data = field === undefined ? { file } : { file, field };
  return new BulkheadError('ERR_MANIFEST_INVALID', message, data, cause === undefined ? undefined : { cause });
}
