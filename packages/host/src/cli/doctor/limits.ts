/**
 * The `limits` check: how a manifest's `limits.memoryMB` is enforced on this machine under the
 * home's `limits.memory` setting (a memory cgroup per worker, v2 or v1, or the RSS watchdog, with
 * the heap cap for Node workers; see manager/worker-limits.ts). Fails when the setting names a
 * cgroup mode this machine cannot give (every start of a limited worker would fail).
 * @module
 */
import { isBulkheadError } from '@bulkhead/sdk/errors';
import { loadHostConfig } from '../../config/host-config.js';
import { type MemoryLimitSetting, memoryLimitMode } from '../../manager/worker-limits.js';
import { type DoctorContext, fail, type Outcome, ok } from './check.js';

export async function checkLimits(ctx: Pick<DoctorContext, 'home' | 'env'>): Promise<Outcome> {
  // A bad config file is the `config` check's to report: here the default stands.
  const setting = await loadHostConfig(ctx.home, ctx.env).then(
    (c) => c.values['limits.memory'] as MemoryLimitSetting,
    () => 'auto' as const,
  );
  try {
    return ok(`memory limits: ${memoryLimitMode(setting).detail}`);
  } catch (e) {
    if (!isBulkheadError(e, 'ERR_INVALID_ARGUMENT')) throw e;
    return fail(e.message, 'set limits.memory to auto (`bulkhead config set --host limits.memory auto`)');
  }
}
