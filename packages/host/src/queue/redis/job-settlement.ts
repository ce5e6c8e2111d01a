/**
 * How a job taken by a JobRunner ends on Redis: its outcome written to its record, then BullMQ
 * told (with the next job taken in the same ack when this host would take it anyway), and an
 * attempt whose host died before it ended, recovered or ended by the host that takes it next.
 * @module
 */
import { BulkheadError, isBulkheadError, toBulkheadError } from '@bulkhead/sdk/errors';
import { type Job as BullJob, UnrecoverableError } from 'bullmq';
import { encodeValue } from '../codec.js';
import type { JobEvent, JobStatus } from '../job-store.js';
import { willRetry } from '../settlement.js';
import type { Fields, RedisJobRecord } from './job-records.js';
import type { RunnerDeps } from './job-runner.js';
import type { PluginLane } from './plugin-lane.js';

export interface Running {
  id: string;
  plugin: string;
  attempt: number;
  maxAttempts: number;
  controller: AbortController;
  reservation: string;
  cancelRequested: boolean;
  startedAt: number;
  job: BullJob;
  token: string;
  lane: PluginLane;
  /** Resolved once this host is done with the attempt: settled (and announced), or handed back. */
  ended: { promise: Promise<void>; resolve: () => void };
}

/** A promise and its resolve, for {@link Running.ended}. */
export function endSignal(): Running['ended'] {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: BulkheadError };

export interface SettleContext {
  deps: RunnerDeps;
  /** The last progress report of each running job, not yet written. */
  progress: Map<string, { fraction?: number; message?: string }>;
  flushLogs(id: string): Promise<void>;
}

/**
 * A job found `running` when taken: its host died mid-attempt (its lock expired and BullMQ's
 * stalled check put it back). Ends it (true) when a cancel was asked or no attempt is left; else
 * adds to `events` what the retry's timeline needs (false).
 */
export async function recoverInterrupted(
  deps: RunnerDeps,
  job: BullJob,
  token: string,
  record: RedisJobRecord,
  now: number,
  events: JobEvent[],
): Promise<boolean> {
  const id = job.id as string;
  const cancelAsked = record.cancelAsked;
  const detail = `its host ${record.host ?? ''} stopped while attempt ${record.attempts} ran`;
  events.push({ at: now, type: 'interrupted', attempt: record.attempts, detail });
  if (cancelAsked || record.attempts >= record.maxAttempts) {
    const error = cancelAsked
      ? new BulkheadError('ERR_CANCELLED', 'job cancelled', { forced: true })
      : new BulkheadError('ERR_JOB_INTERRUPTED', `job interrupted: ${detail}, and it had no attempts left`, {
          attempts: record.attempts,
        });
    const status: JobStatus = cancelAsked ? 'cancelled' : 'failed';
    const ended = await deps.records.transition(
      id,
      ['running'],
      status,
      { finishedAt: now, error: JSON.stringify(error.toJSON()) },
      [...events, { at: now, type: status, detail: error.message }],
    );
    await job.moveToFailed(new UnrecoverableError(error.message), token, false).catch(() => {});
    if (ended) {
      if (cancelAsked) deps.announce('cancelled', { id, plugin: record.plugin, forced: true });
      else deps.announce('failed', { id, plugin: record.plugin, error: error.toJSON(), willRetry: false });
    }
    return true;
  }
  if (record.startedAt !== null)
    events.push({ at: record.startedAt, type: 'started', attempt: record.attempts, detail: 'interrupted' });
  events.push({ at: now, type: 'retrying', attempt: record.attempts + 1 });
  return false;
}

/** Writes the outcome (ioredis holds the writes through a reconnect), then tells BullMQ. */
export async function settle(
  ctx: SettleContext,
  run: Running,
  outcome: Outcome,
  ms: number,
): Promise<BullJob | undefined> {
  const { id, plugin, job, token } = run;
  const now = Date.now();
  await ctx.flushLogs(id);
  const last = ctx.progress.get(id);
  ctx.progress.delete(id);
  const progress: Fields = last ? { progress: JSON.stringify(last) } : {};
  if (outcome.ok) {
    let result: Uint8Array;
    try {
      result = encodeValue(outcome.value);
    } catch (err) {
      return settle(ctx, run, { ok: false, error: toBulkheadError(err) }, ms);
    }
    const completed = { id, plugin, ms };
    // The record first, then BullMQ's ack: a host that dies in between leaves a completed record,
    // which the next host to take the stalled job lets go without running it again.
    await ctx.deps.records.transition(
      id,
      ['running'],
      'completed',
      { result: Buffer.from(result.buffer, result.byteOffset, result.byteLength), finishedAt: now, ...progress },
      [],
      ctx.deps.message('completed', completed),
    );
    // Take the next job with this ack when this host would take it anyway: still taking, the
    // plugin enabled, and this job's slot (and its reservation) about to be free.
    const more =
      ctx.deps.taking() &&
      ctx.deps.manager.get(plugin)?.enabled === true &&
      run.lane.running <= ctx.deps.manager.concurrencyOf(plugin);
    let raw: unknown;
    await ack(job, token, async () => {
      raw = await job.moveToCompleted(null, token, more);
    });
    ctx.deps.emit('completed', completed);
    void ctx.deps.wake(id);
    return more ? await run.lane.next(raw, token).catch(() => undefined) : undefined;
  }
  const error = outcome.error;
  const wire = error.toJSON();
  if (run.cancelRequested) {
    const forced = isBulkheadError(error, 'ERR_CANCELLED') && error.data?.forced === true;
    const detail = forced
      ? 'forced: the plugin ignored its signal, its worker was killed'
      : 'the plugin stopped on its signal';
    await ctx.deps.records.transition(
      id,
      ['running'],
      'cancelled',
      { finishedAt: now, error: JSON.stringify(wire), ...progress },
      [{ at: now, type: 'cancelled', attempt: run.attempt, detail }],
    );
    // Announced before BullMQ's ack, as soon as the record says so: whoever waits on the job (a
    // cancel() here) sees the `cancelled` event before it reads the record, as on SQLite.
    ctx.deps.announce('cancelled', { id, plugin, forced });
    await ack(job, token, () => job.moveToFailed(new UnrecoverableError(error.message), token, false));
    return;
  }
  // The one retry rule, the SQLite queue's: attempts left and a code the registry calls retryable.
  const retry = willRetry(error, run.attempt, run.maxAttempts);
  if (retry) {
    await ctx.deps.records.transition(id, ['running'], 'pending', { error: JSON.stringify(wire), progress: null }, [
      { at: run.startedAt, type: 'started', attempt: run.attempt },
      { at: now, type: 'retrying', attempt: run.attempt + 1, detail: wire.message },
    ]);
  } else {
    await ctx.deps.records.transition(id, ['running'], 'failed', { error: JSON.stringify(wire), finishedAt: now }, [
      { at: now, type: 'failed', attempt: run.attempt, detail: wire.message },
    ]);
  }
  // Unrecoverable: BullMQ must not retry what Bulkhead's rule (attempts, codes) has ended.
  const reported = retry ? error : new UnrecoverableError(error.message);
  ctx.deps.announce('failed', { id, plugin, error: wire, willRetry: retry });
  await ack(job, token, () => job.moveToFailed(reported, token, false));
}

/** Tells BullMQ; a lock lost meanwhile (Redis was away longer than the lock) means another host may run it again. */
export async function ack(job: BullJob, _token: string, move: () => Promise<unknown>): Promise<void> {
  try {
    await move();
  } catch (e) {
    process.emitWarning(
      `Bulkhead job queue: job ${job.id}: ${e instanceof Error ? e.message : String(e)}`,
      'BulkheadQueueWarning',
    );
  }
}
