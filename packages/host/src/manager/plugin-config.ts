/**
 * A plugin's config: its schema (the manifest's, else the running worker's), the effective config
 * (schema defaults, then the manifest's `config`, then what the user set), and the check an
 * update must pass before anything changes. Applying an update (live or by restart) and keeping
 * updates in order are the manager's.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import { applyDefaults, describeIssues, validateAgainstSchema } from '../manifest/index.js';
import type { ManagedPlugin } from './managed-plugin.js';

type Config = Record<string, unknown>;

export function configSchemaOf(m: ManagedPlugin): Config | null {
  return (m.plugin.manifest.configSchema as Config | undefined) ?? m.proc?.info.configSchema ?? null;
}

/** `user`: what the user set (the state store's). */
export function effectiveConfig(m: ManagedPlugin, user: Config | undefined): Config {
  const merged = { ...(m.plugin.manifest.config ?? {}), ...(user ?? {}) };
  const schema = configSchemaOf(m);
  return schema ? (applyDefaults(schema, merged) as Config) : merged;
}

/**
 * The effective config after `partial` is merged over what the user set: ERR_INVALID_ARGUMENT for
 * a `partial` that is not an object, ERR_CONFIG_INVALID (every failing field) for a result the
 * schema refuses.
 */
export function nextConfig(m: ManagedPlugin, user: Config | undefined, partial: unknown): Config {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
    throw new BulkheadError('ERR_INVALID_ARGUMENT', 'updateConfig expects an object of config fields');
  }
  const next = { ...(m.plugin.manifest.config ?? {}), ...(user ?? {}), ...partial };
  const schema = configSchemaOf(m);
  if (!schema) return next;
  const issues = validateAgainstSchema(schema, next);
  if (issues.length > 0) {
    const list = describeIssues(issues);
    throw new BulkheadError('ERR_CONFIG_INVALID', `invalid config for plugin "${m.name}": ${list}`, { issues });
  }
  return applyDefaults(schema, next) as Config;
}
