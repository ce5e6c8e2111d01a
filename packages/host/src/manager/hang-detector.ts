/**
 * Tells a hung busy worker from a busy one. A worker running a call may rightly leave pings
 * unanswered (a CPU-bound plugin holding its event loop, or the GIL, for minutes), so silence alone
 * proves nothing; silence while its process group uses no CPU (a deadlock), or while it is stopped
 * (SIGSTOP, a debugger), for the whole window, does. Each check pings, then samples the group's
 * CPU time from /proc; off Linux there is no CPU to read and a busy worker is never judged hung.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { PluginProcess } from '../process/plugin-process.js';
import { sampleGroup } from '../resources/process-group.js';
import { readProcStat } from '../util/proc-stat.js';

export interface Observation {
  /** The worker answered a ping. */
  answered: boolean;
  /** CPU time of its process group (ms), or undefined where it cannot be read. */
  cpuMs: number | undefined;
  /** The worker is stopped (state T: SIGSTOP, or traced). */
  stopped: boolean;
  now: number;
}

export interface Hang {
  /** How long it has been silent and idle (or stopped). */
  quietMs: number;
  stopped: boolean;
}

/**
 * CPU used between two checks that counts as work: a tick or two of a runtime's housekeeping
 * threads in a deadlocked process is not (at least 1 % of the wall time, and 20 ms).
 */
function progressed(before: number, after: number, wallMs: number): boolean {
  return after - before >= Math.max(20, wallMs * 0.01);
}

/** The bookkeeping of one busy worker's checks. Pure: observations come in, with their time. */
export class HangDetector {
  readonly windowMs: number;
  #quietSince: number | null = null;
  #last: { cpuMs: number; at: number } | null = null;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** Returns the hang once the worker has been quiet for the window, else null. */
  observe(o: Observation): Hang | null {
    const last = this.#last;
    if (o.cpuMs !== undefined) this.#last = { cpuMs: o.cpuMs, at: o.now };
    if (o.answered) {
      this.#quietSince = null;
      return null;
    }
    // Without /proc nothing says it does not compute: never call it hung on silence alone.
    if (o.cpuMs === undefined) return null;
    if (!o.stopped && (last === null || progressed(last.cpuMs, o.cpuMs, o.now - last.at))) {
      this.#quietSince = null;
      return null;
    }
    this.#quietSince ??= last?.at ?? o.now;
    const quietMs = o.now - this.#quietSince;
    return quietMs >= this.windowMs ? { quietMs, stopped: o.stopped } : null;
  }

  reset(): void {
    this.#quietSince = null;
    this.#last = null;
  }
}

/** One check of a busy worker: a ping (unanswered within `pingTimeoutMs`: silent), then its CPU. */
export async function checkBusyWorker(
  proc: PluginProcess,
  detector: HangDetector,
  pingTimeoutMs: number,
): Promise<Hang | null> {
  const pid = proc.pid;
  if (pid === undefined || pid === null) return null;
  const answered = await proc.ping(pingTimeoutMs).then(
    () => true,
    (e: { code?: string }) => e?.code !== 'ERR_TIMEOUT', // gone: its exit reports that, not this
  );
  const sample = await sampleGroup(pid);
  const stopped = readProcStat(pid)?.state === 'T';
  return detector.observe({ answered, cpuMs: sample?.cpuMs, stopped, now: Date.now() });
}

/** What the calls of a worker killed as hung fail with. */
export function unresponsiveError(
  name: string,
  proc: PluginProcess,
  reason: string,
  hang: Hang,
): BulkheadError<'ERR_WORKER_UNRESPONSIVE'> {
  return new BulkheadError('ERR_WORKER_UNRESPONSIVE', `plugin "${name}": worker killed: ${reason}`, {
    pid: proc.pid ?? null,
    quietMs: hang.quietMs,
    stopped: hang.stopped,
  });
}
