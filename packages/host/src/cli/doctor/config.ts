/**
 * The `config` check: `<home>/config.yaml` and the BULKHEAD_* variables over it read as every
 * command will read them. A broken file stops every command that opens the queue, so doctor says
 * so first, with the first problem's place.
 * @module
 */
import { existsSync } from 'node:fs';
import { hostConfigPath, loadHostConfig } from '../../config/host-config.js';
import { type DoctorContext, fail, firstLine, type Outcome, ok } from './check.js';

export async function checkConfig(ctx: DoctorContext): Promise<Outcome> {
  const file = hostConfigPath(ctx.home);
  let config: Awaited<ReturnType<typeof loadHostConfig>>;
  try {
    config = await loadHostConfig(ctx.home, ctx.env);
  } catch (e) {
    const count = ((e as { data?: { issues?: unknown[] } }).data?.issues ?? []).length;
    const more = count > 1 ? ` (and ${count - 1} more)` : '';
    return fail(`${firstLine(e)}${more}`, 'fix it: every command that runs jobs refuses to start until then');
  }
  const set = Object.entries(config.sources).filter(([, s]) => s !== 'default');
  const where = existsSync(file) ? file : `${file} (absent: defaults)`;
  return ok(`${where}; ${set.length === 0 ? 'all defaults' : `set: ${set.map(([k, s]) => `${k} (${s})`).join(', ')}`}`);
}
