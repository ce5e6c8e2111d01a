/**
 * What runs next: one pass over the pending jobs in run order, deciding for each whether it
 * starts (a free slot of its plugin — manifest `concurrency` — and resources the scheduler
 * admits), fails (policy `safety`, or waited past `queueTimeoutMs`), or waits for resources.
 * Synchronous and free of writes: the queue applies the plan.
 * @module
 */
import type { BulkheadError } from '@bulkhead/sdk/errors';
import type { FitResult, Reservation, ResourceNeeds } from '../resources/resource-ledger.js';
import { insufficient, type SchedulingPolicy } from '../resources/scheduler.js';
import type { JobRecord } from './job-store.js';
import type { PendingEntry } from './pending-index.js';

/** A pending job as the dispatcher sees it. */
export interface Waiting extends PendingEntry {
  attempts: number;
  maxAttempts: number;
  needs: ResourceNeeds;
  timeoutMs: number | null;
  /** The encoded input when small and known (submitted here), saving a read at start. */
  input: Uint8Array | null;
}

export type Shortfall = Extract<FitResult, { ok: false }>;

export interface DispatchInput {
  /** In run order. */
  pending: readonly Waiting[];
  /** Distinct plugins among `pending`: once all are full the walk stops. */
  plugins: number;
  /** Jobs of the plugin running now. */
  runningOf(plugin: string): number;
  /** Throws for a plugin no longer discovered. */
  concurrencyOf(plugin: string): number;
  /** Reserves the job's needs, or says what is short. */
  tryAcquire(id: string, needs: ResourceNeeds): Reservation | Shortfall;
  policy: SchedulingPolicy;
  queueTimeoutMs: number;
  now: number;
}

/** What the pass decided, in walk order within each kind. */
export interface DispatchPlan {
  start: { job: Waiting; reservation: Reservation }[];
  /** Failed where they wait: leave the pending index, recorded as failed (no retry). */
  fail: { job: Waiting; error: BulkheadError }[];
  /** Began waiting for resources in this pass (`waitingSince` just set): an event to write, room to make. */
  waiting: { job: Waiting; shortfall: Shortfall }[];
  /** The earliest queue-timeout deadline of a job still waiting (Infinity for none). */
  nextDeadline: number;
}

/** Plans one pass. Marks `waitingSince` on jobs that begin waiting now. */
export function planDispatch(input: DispatchInput): DispatchPlan {
  const { now, policy, queueTimeoutMs } = input;
  const plan: DispatchPlan = { start: [], fail: [], waiting: [], nextDeadline: Number.POSITIVE_INFINITY };
  const concurrency = new Map<string, number>();
  // Plugins with every slot taken: once all plugins that have pending jobs are, stop looking
  // (thousands of queued jobs for busy plugins must not cost a walk of the whole list per change).
  const full = new Set<string>();
  /** Jobs this pass is about to start, per plugin: they take slots too. */
  const starting = new Map<string, number>();
  for (const e of input.pending) {
    if (full.size >= input.plugins) break;
    if (full.has(e.plugin)) continue;
    let limit = concurrency.get(e.plugin);
    if (limit === undefined) {
      try {
        limit = input.concurrencyOf(e.plugin);
      } catch {
        limit = 1; // plugin vanished: the call fails with ERR_UNKNOWN_PLUGIN, and says so
      }
      concurrency.set(e.plugin, limit);
    }
    const busy = input.runningOf(e.plugin) + (starting.get(e.plugin) ?? 0);
    if (busy >= limit) {
      full.add(e.plugin);
      continue;
    }
    const r = input.tryAcquire(e.id, e.needs);
    if ('id' in r) {
      plan.start.push({ job: e, reservation: r });
      starting.set(e.plugin, (starting.get(e.plugin) ?? 0) + 1);
      continue;
    }
    if (policy === 'safety') {
      plan.fail.push({ job: e, error: insufficient(r) });
      continue;
    }
    if (e.waitingSince === null) {
      e.waitingSince = now;
      plan.waiting.push({ job: e, shortfall: r });
    }
    const deadline = e.waitingSince + queueTimeoutMs;
    if (now >= deadline) {
      plan.fail.push({ job: e, error: insufficient(r, queueTimeoutMs) });
      continue;
    }
    plan.nextDeadline = Math.min(plan.nextDeadline, deadline);
  }
  return plan;
}

/** Inputs up to this size are kept in memory with their pending entry. */
const INPUT_CACHE_BYTES = 16 * 1024;

/**
 * A stored pending job as a dispatcher entry: its needs as submit computed them, else as its
 * plugin declares them now; its input kept when small and at hand.
 */
export function waitingEntry(
  job: JobRecord,
  declared: () => ResourceNeeds,
  needs?: ResourceNeeds,
  input?: Uint8Array,
): Waiting {
  let resources: ResourceNeeds = {};
  if (needs === undefined) {
    try {
      resources = declared();
    } catch {
      // plugin no longer discovered: the job will fail with ERR_UNKNOWN_PLUGIN when it runs
    }
  }
  return {
    id: job.id,
    plugin: job.plugin,
    priority: job.priority,
    rank: job.rank,
    waitingSince: null,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    needs: needs ?? resources,
    timeoutMs: job.timeoutMs,
    input: input !== undefined && input.byteLength <= INPUT_CACHE_BYTES ? input : null,
  };
}
