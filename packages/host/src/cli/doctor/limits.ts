/**
 * The `limits` check: how a manifest's `limits.memoryMB` is enforced on this machine (the RSS
 * watchdog, with the heap cap for Node workers; see manager/worker-limits.ts). Informational.
 * @module
 */
import { memoryLimitMode } from '../../manager/worker-limits.js';
import { type Outcome, ok } from './check.js';

export function checkLimits(): Outcome {
  return ok(`memory limits: ${memoryLimitMode().detail}`);
}
