/**
 * Plugin manifests (`bulkhead-plugin.json`) and discovery. Any export here that `src/index.ts`
 * re-exports becomes public API.
 * @module
 */

// Ordering plugin versions (used to pick between two manifests of one name)
export { compareVersions } from '../util/version-order.js';
// Checking config against a plugin's JSON Schema, and filling in its defaults
export { applyDefaults, describeIssues, validateAgainstSchema } from './config-validator.js';
// Finding plugins: where to look, and what is there
export {
  type DiscoveryError,
  type DiscoveryResult,
  discover,
  type ShadowedPlugin,
  searchPaths,
} from './discover.js';
// One manifest: its type, loading it, the published schema
export {
  type DiscoveredPlugin,
  loadManifest,
  MANIFEST_FILE,
  type ManifestCapabilities,
  type PluginLimits,
  type PluginManifest,
  type PluginPermissions,
  type PluginResources,
} from './manifest.js';
export { MANIFEST_VERSION, manifestSchemaPath } from './manifest-validator.js';
