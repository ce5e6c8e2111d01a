/**
 * Works out how to start a worker: which executable, which arguments, in which directory.
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { resolveModuleFile } from './resolve-module.js';

export interface WorkerCommand {
  file: string;
  args: string[];
  cwd: string;
}

export interface WorkerCommandOptions {
  plugin?: string | URL;
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
  const given =
    options.plugin instanceof URL || String(options.plugin).startsWith('file:')
      ? fileURLToPath(options.plugin)
      : resolve(String(options.plugin));
  // As Node resolves it: `index` finds index.js, a directory its main or index.js.
  const pluginFile = resolveModuleFile(given);
  if (pluginFile === undefined) {
    throw new BulkheadError('ERR_PLUGIN_NOT_FOUND', `plugin module not found: ${given}`, { modulePath: given });
  }
  return {
    file: options.nodePath ?? process.execPath,
    args: [...(options.execArgv ?? []), resolveWorkerEntry(pluginFile), pluginFile, ...(options.args ?? [])],
    cwd: checkedCwd(options.cwd ?? dirname(pluginFile)),
  };
}

/** spawn reports a missing cwd as "spawn node ENOENT", which blames the wrong thing. */
function checkedCwd(cwd: string): string {
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
    throw new BulkheadError('ERR_INVALID_ARGUMENT', `the worker's directory does not exist: ${cwd}`);
  }
  return cwd;
}
