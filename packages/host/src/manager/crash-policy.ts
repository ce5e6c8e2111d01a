/**
 * When to restart a crashed plugin: exponential backoff between restarts, and a circuit breaker
 * count of `maxCrashes` crashes within `windowMs`, on which circuit-breaker.ts opens the circuit.
 * Pure bookkeeping, no timers, so it is easy to test.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { WorkerExit } from '../process/plugin-process.js';

export interface RestartPolicy {
  /** `on-demand`: restart on the next call; `eager`: restart as soon as the backoff allows. */
  mode: 'on-demand' | 'eager';
  /** Crashes within `windowMs` that open the circuit. Default 5. */
  maxCrashes: number;
  windowMs: number;
  /** First backoff delay; doubles per crash in the window, up to `backoffMaxMs`. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** An open circuit lets one trial through after this (circuit-breaker.ts). Default 30 s. */
  cooldownMs: number;
  /** The cool-down doubles each time a trial crashes, up to this. Default 5 minutes. */
  cooldownMaxMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  mode: 'on-demand',
  maxCrashes: 5,
  windowMs: 60_000,
  backoffInitialMs: 100,
  // Restarts are cheap next to the work they hold up: a few seconds at most between them (30 s
  // turned 24 s of work on a flaky plugin into 156 s).
  backoffMaxMs: 2_000,
  cooldownMs: 30_000,
  cooldownMaxMs: 300_000,
};

export class CrashTracker {
  readonly #policy: RestartPolicy;
  #crashes: number[] = [];

  constructor(policy: RestartPolicy) {
    this.#policy = policy;
  }

  /** Records a crash at `now`; returns true if the circuit is now open. */
  record(now: number): boolean {
    this.#crashes = this.#crashes.filter((t) => now - t < this.#policy.windowMs);
    this.#crashes.push(now);
    return this.open;
  }

  get open(): boolean {
    return this.#crashes.length >= this.#policy.maxCrashes;
  }

  /** Crashes inside the current window. */
  get count(): number {
    return this.#crashes.length;
  }

  /** Milliseconds to wait after `now` before the next restart may start. */
  delay(now: number): number {
    const last = this.#crashes.at(-1);
    if (last === undefined) return 0;
    const recent = this.#crashes.filter((t) => now - t < this.#policy.windowMs).length;
    const backoff = Math.min(this.#policy.backoffMaxMs, this.#policy.backoffInitialMs * 2 ** Math.max(0, recent - 1));
    return Math.max(0, last + backoff - now);
  }

  reset(): void {
    this.#crashes = [];
  }
}

/** How a worker's unexpected end counts. */
export type ExitVerdict =
  /** Killed because a call ignored its cancel: the plugin misbehaved but did not crash; not counted. */
  | 'cancel-timeout'
  /** A crash: counts against the circuit breaker. */
  | 'crash';

export function exitVerdict(exit: { error?: { data?: unknown } }): ExitVerdict {
  return (exit.error?.data as { reason?: string } | undefined)?.reason === 'cancel-timeout'
    ? 'cancel-timeout'
    : 'crash';
}

/** What a crash leaves as the plugin's last error. */
export function crashMessage(exit: WorkerExit): string {
  return exit.error?.message ?? `worker exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.exitCode}`}`;
}

/** A call to a plugin whose circuit is open: ERR_PLUGIN_CIRCUIT_OPEN until it is reset. */
export function unavailable(
  name: string,
  tracker: { count: number; retryAt: number | null },
  policy: RestartPolicy,
  last: { lastError?: string; lastStderr?: string[] },
): BulkheadError {
  const retryAt = tracker.retryAt ?? Date.now();
  return new BulkheadError(
    'ERR_PLUGIN_CIRCUIT_OPEN',
    `plugin "${name}" crashed ${tracker.count} times within ${policy.windowMs} ms; its circuit is open until ${new Date(retryAt).toISOString()} (or \`bulkhead plugins reset ${name}\`): ${last.lastError ?? ''}`,
    {
      name,
      crashes: tracker.count,
      retryAt,
      ...(last.lastError ? { lastError: last.lastError } : {}),
      ...(last.lastStderr ? { stderrTail: last.lastStderr } : {}),
    },
  );
}
