/**
 * Liveness: a loaded plugin's worker is pinged while it has no call in flight; one that does not
 * answer within the timeout is reported unresponsive (and, by policy, replaced), and one that
 * answers again after that is `ready` (or `busy`) once more. A busy worker is checked for a hang
 * instead (hang-detector.ts): silent and using no CPU, or stopped, for the hang window.
 * @module
 */
import { isBulkheadError } from '@bulkhead/sdk/errors';
import type { PluginProcess } from '../process/plugin-process.js';
import { checkBusyWorker, type Hang, HangDetector } from './hang-detector.js';
import type { ManagedPlugin } from './managed-plugin.js';

export interface LivenessOptions {
  /** Default 15 s; 0 turns pinging off. */
  pingIntervalMs?: number;
  /** Default 5 s. */
  pingTimeoutMs?: number;
  /** A busy worker silent and using no CPU (or stopped) this long is hung (hang-detector.ts). Default 30 s. */
  hangTimeoutMs?: number;
}

/** Pings `proc` every interval while it is `m`'s worker; `unresponsive` is told why when one goes unanswered. */
export function startLiveness(
  m: ManagedPlugin,
  proc: PluginProcess,
  options: LivenessOptions | undefined,
  unresponsive: (reason: string, hang?: Hang) => void,
): void {
  const every = options?.pingIntervalMs ?? 15_000;
  if (every <= 0) return;
  const timeout = options?.pingTimeoutMs ?? 5_000;
  const hangs = new HangDetector(options?.hangTimeoutMs ?? 30_000);
  let pinging = false;
  m.pingTimer = setInterval(() => {
    if (pinging || m.proc !== proc || !proc.alive) return;
    if (m.inFlight > 0) {
      // Busy: silence is allowed while it computes, not while it is stopped or idle (hang-detector.ts).
      pinging = true;
      void checkBusyWorker(proc, hangs, timeout).then((hang) => {
        pinging = false;
        if (hang === null || m.proc !== proc || m.inFlight === 0) return;
        const how = hang.stopped ? 'stopped (SIGSTOP?)' : 'neither answering nor using CPU';
        unresponsive(`busy worker ${how} for ${hang.quietMs} ms`, hang);
      });
      return;
    }
    hangs.reset();
    pinging = true;
    proc.ping(timeout).then(
      () => {
        pinging = false;
        if (m.state === 'unresponsive' && m.proc === proc) m.setState(m.inFlight > 0 ? 'busy' : 'ready');
      },
      (e) => {
        pinging = false;
        if (m.proc !== proc || !isBulkheadError(e, 'ERR_TIMEOUT')) return;
        // A call began after this ping went out: the busy check judges it from now on (a worker
        // that computes is not hung; one stopped or silent fails its calls ERR_WORKER_UNRESPONSIVE),
        // not this idle ping, whose kill would fail the call as a plain ERR_WORKER_EXITED.
        if (m.inFlight > 0) return;
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
