/**
 * Resource-aware admission with reservations, behind one interface and three policies:
 * - `permissive`: always admit (what runs is still accounted for);
 * - `safety`: refuse at once with ERR_INSUFFICIENT_RESOURCES, naming the resource, needed and free;
 * - `queue`: wait until it fits, up to a timeout, then the same error.
 * Work that could never fit on this machine is refused at once under `safety` and `queue`.
 *
 * @example
 * const scheduler = new Scheduler(new LocalSystemMonitor(), { policy: 'queue', queueTimeoutMs: 60_000 });
 * const r = await scheduler.acquire('job-1', { gpuMemoryMB: 12_000 }, { signal });
 * try { await run() } finally { scheduler.release(r.id) }
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import { type FitResult, type Reservation, ResourceLedger, type ResourceNeeds } from './resource-ledger.js';
import type { SystemMonitor } from './system-monitor.js';

export type SchedulingPolicy = 'permissive' | 'safety' | 'queue';

export interface SchedulerOptions {
  policy?: SchedulingPolicy;
  /** `queue` policy: how long work may wait for resources. Default 10 minutes. */
  queueTimeoutMs?: number;
  /** Measurements older than this are refreshed before admitting. Default 1 s. */
  refreshMs?: number;
  /**
   * Asked before refusing or waiting: free room (evict idle plugins). Resolves true if it freed
   * anything, so admission is tried again on a fresh measurement.
   */
  makeRoom?: (shortfall: Extract<FitResult, { ok: false }>) => Promise<boolean>;
}

export class Scheduler {
  readonly ledger: ResourceLedger;
  readonly policy: SchedulingPolicy;
  readonly #options: SchedulerOptions;
  readonly #waiters = new Set<() => void>();
  #timer: NodeJS.Timeout | null = null;

  constructor(monitor: SystemMonitor, options: SchedulerOptions = {}) {
    this.ledger = new ResourceLedger(monitor);
    this.policy = options.policy ?? 'queue';
    this.#options = options;
  }

  /** Refreshes the measurement if it is older than `refreshMs`. */
  async fresh(): Promise<void> {
    const m = this.ledger.measured;
    if (m === null || Date.now() - m.time > (this.#options.refreshMs ?? 1000)) await this.ledger.refresh();
  }

  /**
   * Synchronous admission on the current measurement, for a dispatcher that must stay fast:
   * a Reservation, or why not (nothing is reserved then).
   */
  tryAcquire(id: string, needs: ResourceNeeds): Reservation | Extract<FitResult, { ok: false }> {
    if (this.policy === 'permissive') return this.ledger.force(id, needs);
    const r = this.ledger.reserve(id, needs);
    return 'id' in r ? r : (r as Extract<FitResult, { ok: false }>);
  }

  /** Waits for (or refuses, by policy) the resources; the reservation holds until release(id). */
  async acquire(
    id: string,
    needs: ResourceNeeds,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<Reservation> {
    await this.fresh();
    if (this.policy === 'permissive') return this.ledger.force(id, needs);
    const impossible = this.ledger.possible(needs);
    if (!impossible.ok) throw insufficient(impossible);
    let r = this.tryAcquire(id, needs);
    if ('id' in r) return r;
    if (this.#options.makeRoom && (await this.#options.makeRoom(r))) {
      await this.ledger.refresh();
      r = this.tryAcquire(id, needs);
      if ('id' in r) return r;
    }
    if (this.policy === 'safety') throw insufficient(r);
    const timeoutMs = options.timeoutMs ?? this.#options.queueTimeoutMs ?? 600_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw insufficient(r, timeoutMs);
      options.signal?.throwIfAborted();
      await this.#nextChance(left, options.signal);
      await this.fresh();
      r = this.tryAcquire(id, needs);
      if ('id' in r) return r;
    }
  }

  /** Frees a reservation; whoever waits tries again. Safe to call twice. */
  release(id: string): void {
    if (this.ledger.release(id)) this.wake();
  }

  /** Tells waiters that something changed (a release, an eviction). */
  wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.wake();
  }

  /** Resolves at the next release, the next periodic re-measurement, or the deadline. */
  #nextChance(maxMs: number, signal?: AbortSignal): Promise<void> {
    // While anyone waits, re-measure periodically: memory freed by other programs counts too.
    this.#timer ??= setInterval(() => {
      if (this.#waiters.size === 0) {
        clearInterval(this.#timer as NodeJS.Timeout);
        this.#timer = null;
        return;
      }
      void this.ledger.refresh().then(
        () => this.wake(),
        () => {},
      );
    }, this.#options.refreshMs ?? 1000);
    this.#timer.unref();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, maxMs);
      signal?.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }
}

/** The refusal as a coded error. */
export function insufficient(
  r: Extract<FitResult, { ok: false }>,
  waitedMs?: number,
): BulkheadError<'ERR_INSUFFICIENT_RESOURCES'> {
  return new BulkheadError(
    'ERR_INSUFFICIENT_RESOURCES',
    waitedMs === undefined
      ? `insufficient resources: ${r.why}`
      : `insufficient resources after waiting ${waitedMs} ms: ${r.why}`,
    { resource: r.resource, needed: r.needed, free: r.free, unit: r.unit },
  );
}
