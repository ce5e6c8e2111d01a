/**
 * `bulkhead/install`: installing plugins into environments of their own, as `bulkhead install`
 * does (docs/cli.md, "plugins.yaml"): read and check a plugins file, then install what it lists.
 * Any new export added here becomes public API. Named exports only.
 * @module
 */

export type { LockHolder, LockTakeover } from '../process/lock-file.js';
export type { ProcessIdentity } from '../process/process-identity.js';
export {
  type InstallEvent,
  type InstallOptions,
  type InstallOutcome,
  type InstallReport,
  installPlugins,
} from './installer.js';
export {
  type PluginsFile,
  type PluginsFileEntry,
  type PluginsFileErrorData,
  type PluginsFileIssue,
  parsePluginsFile,
  readPluginsFile,
} from './plugins-file.js';
