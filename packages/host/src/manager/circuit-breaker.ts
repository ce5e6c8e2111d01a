/**
 * A plugin's circuit breaker: closed while it crashes less than `maxCrashes` times in `windowMs`;
 * then open (nothing starts it, its queued jobs wait with their attempts untouched) for a
 * cool-down; then half-open: one trial is let through, and a call that succeeds closes it, a crash
 * opens it again for twice the cool-down (up to `cooldownMaxMs`). Restarts between crashes back
 * off (crash-policy.ts). Pure bookkeeping: time comes in as `now`, no timers.
 * @module
 */
import { CrashTracker, type RestartPolicy } from './crash-policy.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Whether a plugin's circuit lets work through now (see PluginManager.availability). */
export interface Availability {
  state: BreakerState;
  /** When an open circuit half-opens (epoch ms), or null when closed. */
  retryAt: number | null;
  crashes?: number;
  lastError?: string;
}

export class CircuitBreaker {
  readonly #policy: RestartPolicy;
  readonly #crashes: CrashTracker;
  #openedAt: number | null = null;
  #cooldownMs: number;

  constructor(policy: RestartPolicy) {
    this.#policy = policy;
    this.#crashes = new CrashTracker(policy);
    this.#cooldownMs = policy.cooldownMs;
  }

  /** Records a crash (or a failed start, or a hang); returns true if the breaker is now open. */
  record(now: number): boolean {
    if (this.#openedAt !== null) {
      // A crash of the half-open trial (or one seen late): open again, for longer.
      if (now >= this.#openedAt + this.#cooldownMs) {
        this.#cooldownMs = Math.min(this.#policy.cooldownMaxMs, this.#cooldownMs * 2);
      }
      this.#openedAt = now;
      this.#crashes.record(now);
      return true;
    }
    if (this.#crashes.record(now)) this.#openedAt = now;
    return this.#openedAt !== null;
  }

  state(now: number): BreakerState {
    if (this.#openedAt === null) return 'closed';
    return now < this.#openedAt + this.#cooldownMs ? 'open' : 'half-open';
  }

  /** True while open or half-open: the breaker has tripped and no success has closed it yet. */
  get tripped(): boolean {
    return this.#openedAt !== null;
  }

  /** When an open breaker half-opens (epoch ms), or null when it is closed. */
  get retryAt(): number | null {
    return this.#openedAt === null ? null : this.#openedAt + this.#cooldownMs;
  }

  /** A call succeeded: a tripped breaker closes, and its crashes are forgotten. */
  succeeded(): boolean {
    if (this.#openedAt === null) return false;
    this.reset();
    return true;
  }

  /** Crashes inside the current window. */
  get count(): number {
    return this.#crashes.count;
  }

  /** Milliseconds to wait after `now` before the next restart may start. */
  delay(now: number): number {
    // The trial after a cool-down starts at once: the cool-down was the wait.
    return this.#openedAt === null ? this.#crashes.delay(now) : 0;
  }

  reset(): void {
    this.#crashes.reset();
    this.#openedAt = null;
    this.#cooldownMs = this.#policy.cooldownMs;
  }
}
