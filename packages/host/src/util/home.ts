/**
 * The Bulkhead home directory: `BULKHEAD_HOME`, else `~/.bulkhead`. Plugins, state, logs and the
 * job database live under it.
 * @module
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function bulkheadHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.BULKHEAD_HOME;
  return fromEnv ? resolve(fromEnv) : join(homedir(), '.bulkhead');
}
