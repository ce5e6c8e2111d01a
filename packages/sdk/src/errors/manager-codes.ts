/**
 * The codes of the plugin manager: discovery, a plugin's state, resources.
 * @module
 */
import { CLI_EXIT, type CodeTable, final, retried } from './behaviour.js';

export const MANAGER_CODES = {
  /** A plugin manifest is not JSON, breaks the manifest schema, or points at a missing entry. */
  ERR_MANIFEST_INVALID: retried,
  /** No plugin of that name was discovered (a name, not a path: see ERR_PLUGIN_MODULE_NOT_FOUND). */
  ERR_UNKNOWN_PLUGIN: {
    retryable: false,
    exit: CLI_EXIT.NOT_FOUND,
    hint: 'see what is installed with `bulkhead list`',
  },
  /** The worker's handshake reports a plugin name other than its manifest's `name`. */
  ERR_PLUGIN_NAME_MISMATCH: {
    ...final,
    hint: 'make the manifest\'s "name" and the plugin\'s own name (definePlugin) the same',
  },
  /** The plugin was disabled by its user; enable it first. */
  ERR_PLUGIN_DISABLED: { ...final, hint: 'turn it on with `bulkhead enable {name}`' },
  /** The plugin crashed too often and its circuit breaker is open (until a cool-down ends, or a reset). */
  ERR_PLUGIN_CIRCUIT_OPEN: {
    ...retried,
    hint: 'see why with `bulkhead logs {name}`; close it with `bulkhead plugins reset {name}`',
  },
  /** Not enough RAM, GPU memory, GPUs or CPUs for the work, even after evicting idle plugins. */
  ERR_INSUFFICIENT_RESOURCES: { ...final, hint: "free resources, or lower the plugin's declared needs" },
  /** The plugin manager was closed; it takes no new work. */
  ERR_MANAGER_CLOSED: retried,
} as const satisfies CodeTable;
