/**
 * `bulkhead jobs retry ID` (the same plugin, input and options, as a new job) and `bulkhead jobs
 * prune` (finished jobs, by status and age, now).
 * @module
 */

import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import { duration } from '../../config/setting-kinds.js';
import type { JobStatus, RetentionPolicy } from '../../queue/job-store.js';
import { usage } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { type ReportOptions, STATUSES, submitAndWatch } from '../job-report.js';
import { openSession } from '../session.js';

const FINISHED: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export async function retry(
  ctx: CommandContext,
  prefix: string,
  options: ReportOptions & { detach?: boolean },
): Promise<number> {
  // Read through a short session; the new job is then followed like `run`'s (this may become the host).
  let first = await openSession(ctx, { host: false });
  let job: Awaited<ReturnType<typeof first.client.get>>;
  try {
    job = await first.client.get(await first.client.resolveId(prefix));
  } finally {
    await first[Symbol.asyncDispose]();
  }
  if (job.status === 'pending' || job.status === 'running') {
    throw usage(
      `job ${job.id} is ${job.status}: only a finished job can be retried`,
      `follow it with \`bulkhead jobs wait ${job.id.slice(0, 8)}\``,
    );
  }
  if (!ctx.out.json) ctx.out.note(`retrying job ${job.id} (${job.plugin}, ${job.status}) as a new job`);
  first = await openSession(ctx, { host: !options.detach, ...(options.detach ? {} : { warm: job.plugin }) });
  const holder = { session: first };
  try {
    return await submitAndWatch(ctx, holder, job.plugin, job.input, {
      input: '',
      priority: job.priority,
      maxAttempts: job.maxAttempts,
      ...(job.timeoutMs !== null ? { timeout: job.timeoutMs } : {}),
      ...options,
    });
  } finally {
    await holder.session[Symbol.asyncDispose]();
  }
}

export async function prune(
  ctx: CommandContext,
  options: { status?: string; olderThan?: string; keep?: number },
): Promise<number> {
  const status = (options.status?.split(',').map((s) => s.trim()) ?? [...FINISHED]) as JobStatus[];
  for (const s of status) {
    if (!FINISHED.includes(s)) {
      const why = STATUSES.includes(s) ? `${s} jobs have not finished` : `"${s}" is not a job status`;
      throw usage(`${why}: prune removes finished jobs`, `use ${FINISHED.join(', ')}`);
    }
  }
  const policy: RetentionPolicy = { status };
  if (options.olderThan !== undefined) {
    const age = duration.parse(options.olderThan);
    if ('expected' in age) throw usage(`--older-than must be ${age.expected}`, 'e.g. --older-than 7d');
    policy.maxAgeMs = age.value as number;
  }
  if (options.keep !== undefined) policy.maxCount = options.keep;
  // Neither limit given: every finished job of those statuses goes.
  if (policy.maxAgeMs === undefined && policy.maxCount === undefined) policy.maxCount = 0;
  await using session = await openSession(ctx, { host: false });
  const removed = await session.client.prune(policy);
  if (ctx.out.json) ctx.out.document({ removed });
  else ctx.out.line(`removed ${removed} job(s)`);
  return EXIT.OK;
}
