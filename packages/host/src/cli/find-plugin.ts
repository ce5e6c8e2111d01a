/**
 * The installed plugin a command names, or a CliError that says which name was meant.
 * @module
 */
import type { PluginSummary } from '../manager/types.js';
import { CliError } from './cli-error.js';

export async function findPlugin(plugins: PluginSummary[], name: string): Promise<PluginSummary> {
  const p = plugins.find((x) => x.name === name);
  if (p) return p;
  const { didYouMean } = await import('../manifest/did-you-mean.js');
  const guess = didYouMean(
    name,
    plugins.map((x) => x.name),
  );
  throw new CliError('ERR_UNKNOWN_PLUGIN', `no plugin named "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`, {
    data: { name, ...(guess ? { known: [guess] } : {}) },
  });
}
