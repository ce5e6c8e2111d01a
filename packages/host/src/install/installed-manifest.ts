/**
 * The manifest an install writes, from what the plugin reported at its first start and what its
 * plugins.yaml entry adds. One builder for every runtime, so a field the handshake gains (as
 * `inputSchema` did) reaches Node and Python manifests alike; only how to start it differs.
 * @module
 */
import { resolve } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import { manifestSchemaPath, type PluginManifest, type PluginPermissions } from '../manifest/index.js';
import type { PluginProcess } from '../process/plugin-process.js';
import type { PluginsFileEntry } from './plugins-file.js';

/** What the first start reported. */
export type ProbedPlugin = PluginProcess['info'];

/** The fields that say how to start it: the runtime, its entry, and a pinned interpreter. */
export type StartFields = Pick<PluginManifest, 'runtime' | 'entry' | 'node' | 'python'>;

/** Refuses a plugin whose reported name is not the one its plugins.yaml entry gives. */
export function checkReportedName(entry: PluginsFileEntry, info: ProbedPlugin): void {
  if (entry.name !== undefined && info.name !== entry.name) {
    throw new BulkheadError(
      'ERR_INSTALL_FAILED',
      `plugins.yaml names it "${entry.name}" but the plugin calls itself "${info.name}"`,
    );
  }
}

export function installedManifest(
  entry: PluginsFileEntry,
  info: ProbedPlugin,
  packageSpec: string,
  start: StartFields,
  /** The plugins file's directory: relative permission paths in it are relative to it. */
  fileDir: string,
): PluginManifest {
  return {
    $schema: manifestSchemaPath,
    manifestVersion: 1,
    name: info.name,
    version: info.version,
    ...(info.description !== undefined ? { description: info.description } : {}),
    package: packageSpec,
    category: entry.category ?? 'general',
    ...start,
    ...(entry.env !== undefined ? { envVars: entry.env } : {}),
    ...(entry.passEnv !== undefined ? { passEnv: entry.passEnv } : {}),
    ...(info.configSchema ? { configSchema: info.configSchema } : {}),
    ...(info.inputSchema ? { inputSchema: info.inputSchema } : {}),
    ...(entry.config !== undefined ? { config: entry.config } : {}),
    ...(entry.resources !== undefined ? { resources: entry.resources } : {}),
    ...(entry.limits !== undefined ? { limits: entry.limits } : {}),
    ...(entry.permissions !== undefined ? { permissions: absolutePermissions(entry.permissions, fileDir) } : {}),
    capabilities: info.capabilities,
    concurrency: entry.concurrency ?? 1,
  };
}

/**
 * plugins.yaml's permission paths, made absolute: in the file they are relative to the file (where
 * the operator wrote them), and the installed manifest lives elsewhere (the plugins directory).
 */
function absolutePermissions(p: PluginPermissions, fileDir: string): PluginPermissions {
  const abs = (list: string[] | undefined) => list?.map((path) => resolve(fileDir, path));
  return {
    ...p,
    ...(p.fsRead !== undefined ? { fsRead: abs(p.fsRead) } : {}),
    ...(p.fsWrite !== undefined ? { fsWrite: abs(p.fsWrite) } : {}),
  };
}
