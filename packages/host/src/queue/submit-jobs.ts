/**
 * Submitting on the embedded queue: each job checked (submit-checks.ts), its input kept (a file
 * when large), the batch inserted in one durable write (group-insert.ts), then queued for dispatch.
 * @module
 */
import type { EventEmitter } from 'node:events';
import type { ResourceNeeds } from '../resources/resource-ledger.js';
import type { Scheduler } from '../resources/scheduler.js';
import { encodeValue } from './codec.js';
import type { Waiting } from './dispatch-plan.js';
import type { Dispatcher } from './dispatcher.js';
import type { GroupInsert } from './group-insert.js';
import type { JobRecord, NewJob } from './job-store.js';
import type { PluginRunner } from './plugin-runner.js';
import { checkSubmit } from './submit-checks.js';
import type { JobQueueEvents, SubmitOptions } from './types.js';
import type { ValueFiles } from './value-files.js';

export interface SubmitDeps {
  readonly runner: PluginRunner;
  readonly scheduler: Scheduler;
  readonly files: ValueFiles;
  readonly inserts: GroupInsert;
  readonly dispatcher: Dispatcher;
  readonly events: EventEmitter<JobQueueEvents>;
  readonly now: () => number;
  /** Attempts per job unless its options say otherwise. */
  readonly maxAttempts: number;
  /** The pending-index entry of a stored job, with what submit knew (resource overrides, input). */
  entry(job: JobRecord, needs?: ResourceNeeds, input?: Uint8Array): Waiting;
}

/** Several jobs in one durable write (all or none); their ids (the first job's, for a repeated idempotency key). */
export async function submitJobs(
  deps: SubmitDeps,
  jobs: { plugin: string; input: unknown; options?: SubmitOptions }[],
): Promise<string[]> {
  const { files, dispatcher } = deps;
  const now = deps.now();
  const fresh: NewJob[] = [];
  const needsOf: ResourceNeeds[] = [];
  for (const { plugin, input, options = {} } of jobs) {
    needsOf.push(await checkSubmit(deps.runner, deps.scheduler, plugin, input, options));
    const id = crypto.randomUUID(); // the global Web Crypto: cheaper to first use than importing node:crypto
    fresh.push({
      id,
      plugin,
      input: await files.keep(id, 'input', encodeValue(input)),
      priority: options.priority ?? 0,
      idempotencyKey: options.idempotencyKey ?? null,
      maxAttempts: options.maxAttempts ?? deps.maxAttempts,
      timeoutMs: options.timeout ?? null,
      createdAt: now,
    });
  }
  let stored: JobRecord[];
  try {
    stored = await deps.inserts.insert(fresh);
  } finally {
    for (const job of fresh) files.settled(job.input);
  }
  const ids: string[] = [];
  stored.forEach((record, i) => {
    ids.push(record.id);
    // A repeated idempotency key returns the first job: nothing new to queue.
    if (record.id !== fresh[i]?.id) {
      void files.discard(fresh[i]?.input ?? new Uint8Array()).catch(() => {});
      return;
    }
    if (record.status === 'pending') dispatcher.pending.add(deps.entry(record, needsOf[i], fresh[i]?.input));
    deps.events.emit('submitted', { id: record.id, plugin: record.plugin, priority: record.priority });
  });
  dispatcher.soon();
  return ids;
}
