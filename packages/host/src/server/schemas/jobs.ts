/**
 * The job routes' shapes (see {@link module:common}).
 * @module
 */
import { z } from 'zod';
import { AnyValue } from './common.js';

export const JobStatus = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']);

export const JobEvent = z.object({
  at: z.number(),
  type: z.enum([
    'queued',
    'waiting-for-resources',
    'waiting-for-plugin',
    'loading-plugin',
    'started',
    'retrying',
    'interrupted',
    'completed',
    'failed',
    'cancelled',
    'reordered',
  ]),
  attempt: z.number().optional(),
  detail: z.string().optional(),
});

export const JobError = z.object({ code: z.string(), message: z.string(), data: z.unknown().optional() });
export const Progress = z.object({ fraction: z.number().optional(), message: z.string().optional() });

export const Job = z.object({
  id: z.string(),
  plugin: z.string(),
  input: AnyValue,
  status: JobStatus,
  priority: z.number(),
  attempts: z.number(),
  maxAttempts: z.number(),
  timeoutMs: z.number().nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  result: AnyValue,
  error: JobError.nullable(),
  progress: Progress.nullable(),
  timeline: z.array(JobEvent),
  host: z.string().nullable().optional().describe('the host that runs (or ran) it, on a queue shared through Redis'),
});

export const ResourceNeeds = z
  .object({
    memoryMB: z.number().min(0).optional(),
    gpuMemoryMB: z.number().min(0).optional(),
    gpus: z.number().int().min(0).optional(),
    cpus: z.number().min(0).optional(),
  })
  .strict();

export const SubmitBody = z
  .object({
    plugin: z.string().min(1),
    input: AnyValue.optional(),
    options: z
      .object({
        priority: z.number().optional(),
        idempotencyKey: z.string().min(1).max(200).optional(),
        timeout: z.number().int().min(1).optional(),
        maxAttempts: z.number().int().min(1).max(100).optional(),
        resources: ResourceNeeds.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const Submitted = z.object({ id: z.string() });

export const ListQuery = z
  .object({
    status: z
      .string()
      .regex(
        /^(pending|running|completed|failed|cancelled)(,(pending|running|completed|failed|cancelled))*$/,
        'statuses, comma-separated',
      )
      .optional(),
    plugin: z.string().min(1).optional(),
    q: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('case-insensitive text search over id, plugin, error and timeline'),
    since: z.coerce.number().optional(),
    until: z.coerce.number().optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    cursor: z.string().min(1).optional(),
  })
  .strict();

export const JobPage = z.object({ jobs: z.array(Job), next: z.string().nullable() });

export const ReorderBody = z.union([
  z.object({ position: z.number().int().min(0) }).strict(),
  z.object({ priority: z.number() }).strict(),
]);

export const Explanation = z.object({
  id: z.string(),
  status: JobStatus,
  ahead: z.number(),
  message: z.string(),
  reasons: z.array(z.object({ kind: z.string() }).catchall(z.unknown())),
  timeline: z.array(JobEvent),
});

export const ResultJson = z.object({ result: AnyValue });

export const QueueState = z.object({
  time: z.number(),
  running: z.array(Job),
  pending: z.array(Job),
  policy: z.string(),
});
