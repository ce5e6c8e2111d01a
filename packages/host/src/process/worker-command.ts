/**
 * Works out how to start a worker: which executable, which arguments, in which directory.
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { resolveModuleFile } from './resolve-module.js';

export interface WorkerCommand {
  file: string;
  args: string[];
  cwd: string;
}

export interface WorkerCommandOptions {
  /**
   * The plugin: a module path for Node; for Python `path/to/plugin.py[:Name]` or
   * `package.module[:Name]`, imported by the interpreter (see `python`).
   */
  plugin?: string | URL;
  /** Which worker runs the plugin. Default `node`. */
  runtime?: 'node' | 'python';
  /** The Python interpreter (a venv's `bin/python`). Default `python3` from PATH. */
  python?: string;
  command?: readonly string[];
  nodePath?: string;
  execArgv?: readonly string[];
  args?: readonly string[];
  cwd?: string;
}

/**
 * The worker runtime comes from the SDK installed beside the plugin, so the plugin's own
 * `node_modules` (and its copy of the SDK) are the ones in use. A plugin with no SDK of its own
 * runs on the host's.
 */
export function resolveWorkerEntry(pluginFile: string): string {
  try {
    return createRequire(pluginFile).resolve('@bulkhead/sdk/worker');
  } catch {
    return createRequire(import.meta.url).resolve('@bulkhead/sdk/worker');
  }
}

export function workerCommand(options: WorkerCommandOptions): WorkerCommand {
  if (options.command !== undefined) {
    const [file, ...args] = options.command;
    if (typeof file !== 'string' || file === '') {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', '"command" must be a non-empty array: [executable, ...args]');
    }
    return { file, args: [...args, ...(options.args ?? [])], cwd: checkedCwd(options.cwd ?? process.cwd()) };
  }
  if (options.plugin === undefined) {
    throw new BulkheadError('ERR_INVALID_ARGUMENT', 'give "plugin" (a module path) or "command"');
  }
  if (options.runtime === 'python') return pythonCommand(String(options.plugin), options);
  const given = typeScriptSource(
    options.plugin instanceof URL || String(options.plugin).startsWith('file:')
      ? fileURLToPath(options.plugin)
      : resolve(String(options.plugin)),
  );
  // As Node resolves it: `index` finds index.js, a directory its main or index.js.
  const pluginFile = resolveModuleFile(given);
  if (pluginFile === undefined) {
    throw new BulkheadError('ERR_PLUGIN_MODULE_NOT_FOUND', `plugin module not found: ${given}`, { modulePath: given });
  }
  return {
    file: options.nodePath ?? process.execPath,
    args: [...(options.execArgv ?? []), resolveWorkerEntry(pluginFile), pluginFile, ...(options.args ?? [])],
    cwd: checkedCwd(options.cwd ?? dirname(pluginFile)),
  };
}

/**
 * The Python SDK beside this host (packages/python/src in the repository), for an interpreter that
 * has none of its own: appended to `sys.path`, so a venv's own installed copy is found first.
 */
export const HOST_PYTHON_SDK = fileURLToPath(new URL('../../../python/src', import.meta.url));

/**
 * `python -c BOOT SDK ENTRY`: the boot line puts the host's SDK last on `sys.path` and runs the
 * worker. (`-m` would need the SDK on the path before the interpreter starts.)
 */
const PYTHON_BOOT = 'import sys;p=sys.argv.pop(1);p and sys.path.append(p);from bulkhead_sdk.worker import main;main()';

function pythonCommand(entry: string, options: WorkerCommandOptions): WorkerCommand {
  const [target = ''] = entry.split(':');
  const isFile = target.endsWith('.py') || target.includes('/');
  const file = isFile ? resolve(target) : undefined;
  if (file !== undefined && (!existsSync(file) || !statSync(file).isFile())) {
    throw new BulkheadError('ERR_PLUGIN_MODULE_NOT_FOUND', `plugin module not found: ${file}`, { modulePath: file });
  }
  const spec = file === undefined ? entry : `${file}${entry.slice(target.length)}`;
  const sdk = existsSync(join(HOST_PYTHON_SDK, 'bulkhead_sdk')) ? HOST_PYTHON_SDK : '';
  return {
    file: options.python ?? 'python3',
    args: ['-c', PYTHON_BOOT, sdk, spec, ...(options.args ?? [])],
    cwd: checkedCwd(options.cwd ?? (file !== undefined ? dirname(file) : process.cwd())),
  };
}

/** `.js` → `.ts`, `.mjs` → `.mts`, `.cjs` → `.cts`: the sources TypeScript compiles to those names. */
const SOURCE_EXTENSIONS: Record<string, string> = { '.js': '.ts', '.mjs': '.mts', '.cjs': '.cts' };

/**
 * `file`, or the TypeScript source of that name when only the source exists (`plugins/hello.js`
 * → `plugins/hello.ts`), as TypeScript itself resolves an import of `./hello.js`. So the same host
 * code names its plugin `./plugins/hello.js` whether it runs compiled by tsc (the .js exists) or as
 * source on a Node that strips types (only the .ts exists).
 */
function typeScriptSource(file: string): string {
  if (existsSync(file)) return file;
  const ext = extname(file);
  const source = SOURCE_EXTENSIONS[ext];
  if (source === undefined) return file;
  const candidate = file.slice(0, -ext.length) + source;
  return existsSync(candidate) ? candidate : file;
}

/** spawn reports a missing cwd as "spawn node ENOENT", which blames the wrong thing. */
function checkedCwd(cwd: string): string {
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
    throw new BulkheadError('ERR_INVALID_ARGUMENT', `the worker's directory does not exist: ${cwd}`);
  }
  return cwd;
}
