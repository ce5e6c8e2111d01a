/**
 * Liveness: a loaded plugin's worker is pinged while it has no call in flight; one that does not
 * answer within the timeout is reported unresponsive (and, by policy, replaced), and one that
 * answers again after that is `ready` (or `busy`) once more.
 * @module
 */
import { isBulkheadError } from '@bulkhead/sdk/errors';
import type { PluginProcess } from '../process/plugin-process.js';
import type { ManagedPlugin } from './managed-plugin.js';

export interface LivenessOptions {
  /** Default 15 s; 0 turns pinging off. */
  pingIntervalMs?: number;
  /** Default 5 s. */
  pingTimeoutMs?: number;
}

/** Pings `proc` every interval while it is `m`'s worker; `unresponsive` is told why when one goes unanswered. */
export function startLiveness(
  m: ManagedPlugin,
  proc: PluginProcess,
  options: LivenessOptions | undefined,
  unresponsive: (reason: string) => void,
): void {
  const every = options?.pingIntervalMs ?? 15_000;
  if (every <= 0) return;
  const timeout = options?.pingTimeoutMs ?? 5_000;
  let pinging = false;
  m.pingTimer = setInterval(() => {
    if (pinging || m.inFlight > 0 || m.proc !== proc || !proc.alive) return;
    pinging = true;
    proc.ping(timeout).then(
      () => {
        pinging = false;
        if (m.state === 'unresponsive' && m.proc === proc) m.setState(m.inFlight > 0 ? 'busy' : 'ready');
      },
      (e) => {
        pinging = false;
        if (m.proc === proc && isBulkheadError(e, 'ERR_TIMEOUT'))
          unresponsive(`no answer to a ping within ${timeout} ms`);
      },
    );
  }, every);
  m.pingTimer.unref();
}

export function stopLiveness(m: ManagedPlugin): void {
  if (m.pingTimer) clearInterval(m.pingTimer);
  m.pingTimer = null;
}
