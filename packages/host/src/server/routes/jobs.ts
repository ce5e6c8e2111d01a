/**
 * `/api/jobs…`: submit, list (filters, text search, cursor paging), get, cancel, reorder, retry,
 * result, logs, explain, timeline. Values cross as JSON with bytes as `{"$bytes": base64}`; a
 * result that is bytes is also downloadable as itself (`/result`, application/octet-stream).
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { QueueClient } from '../../control/types.js';
import { fromWire, toWire } from '../../control/wire.js';
import type { JobStatus } from '../../queue/job-store.js';
import type { SubmitOptions } from '../../queue/types.js';
import { IdParams, LimitQuery, LogEntry } from '../schemas/common.js';
import {
  Explanation,
  Job,
  JobEvent,
  JobPage,
  ListQuery,
  ReorderBody,
  ResultJson,
  SubmitBody,
  Submitted,
} from '../schemas/jobs.js';
import { routeSchema } from './route-schema.js';

type ById = { Params: { id: string } };
type ListQ = z.infer<typeof ListQuery>;

export const jobRoutes: FastifyPluginAsync<{ client: QueueClient }> = async (app, { client }) => {
  const tags = ['jobs'];
  const byId = (
    summary: string,
    response: Record<number, z.ZodType>,
    extra: Partial<Parameters<typeof routeSchema>[0]> = {},
  ) => routeSchema({ summary, tags, params: IdParams, response, errors: [404, 409, 503], ...extra });

  app.post<{ Body: { plugin: string; input?: unknown; options?: SubmitOptions } }>(
    '/jobs',
    {
      schema: routeSchema({
        summary: "submit a job; its input is checked against the plugin's input schema",
        tags,
        body: SubmitBody,
        response: { 201: Submitted },
        errors: [404, 409, 503],
      }),
    },
    async (req, reply) => {
      const { plugin, input, options } = req.body;
      const id = await client.submit(plugin, fromWire(input ?? {}), options);
      return reply.code(201).send({ id });
    },
  );
  app.get<{ Querystring: ListQ }>(
    '/jobs',
    {
      schema: routeSchema({
        summary: 'jobs newest first, from the durable history: filters, text search (q), cursor paging',
        tags,
        querystring: ListQuery,
        response: { 200: JobPage },
      }),
    },
    async (req) => {
      const { status, plugin, q, since, until, limit, cursor } = req.query;
      const page = await client.list({
        ...(status ? { status: status.split(',') as JobStatus[] } : {}),
        ...(plugin ? { plugin } : {}),
        ...(q ? { text: q } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        limit: limit ?? 100,
        ...(cursor ? { cursor } : {}),
      });
      return toWire(page);
    },
  );
  app.get<ById>('/jobs/:id', { schema: byId('one job', { 200: Job }) }, async (req) =>
    toWire(await client.get(req.params.id)),
  );
  app.post<ById>(
    '/jobs/:id/cancel',
    { schema: byId('cancel a pending or running job; answers once it is cancelled (or as it ended)', { 200: Job }) },
    async (req) => toWire(await client.cancel(req.params.id)),
  );
  app.post<ById & { Body: z.infer<typeof ReorderBody> }>(
    '/jobs/:id/reorder',
    {
      schema: byId(
        'move a pending job: to a position in the run order, or to a priority',
        { 200: Job },
        { body: ReorderBody },
      ),
    },
    async (req) => toWire(await client.reorder(req.params.id, req.body)),
  );
  app.post<ById>(
    '/jobs/:id/retry',
    { schema: byId('submit a finished job again, as a new job', { 201: Submitted }) },
    async (req, reply) => reply.code(201).send({ id: await client.retry(req.params.id) }),
  );
  app.get<ById>(
    '/jobs/:id/result',
    {
      schema: byId(
        "the result: bytes as application/octet-stream, anything else as JSON { result }; 409 with the job's error if it did not complete",
        { 200: ResultJson },
      ),
    },
    async (req, reply) => {
      const job = await client.get(req.params.id);
      if (job.status !== 'completed') {
        // Not a failure of this request: the job ended without a result (its own error), or has not ended.
        const error =
          job.error ??
          new BulkheadError('ERR_INVALID_ARGUMENT', `job ${job.id} is ${job.status}: it has no result yet`).toJSON();
        return reply.code(409).send({ error });
      }
      if (job.result instanceof Uint8Array) {
        return reply
          .type('application/octet-stream')
          .header('content-disposition', `attachment; filename="${job.id}.bin"`)
          .send(Buffer.from(job.result.buffer, job.result.byteOffset, job.result.byteLength));
      }
      return { result: toWire(job.result) };
    },
  );
  app.get<ById & { Querystring: { limit?: number } }>(
    '/jobs/:id/logs',
    { schema: byId("the job's log lines", { 200: z.array(LogEntry) }, { querystring: LimitQuery }) },
    async (req) => toWire(await client.jobLogs(req.params.id, req.query.limit)),
  );
  app.get<ById>(
    '/jobs/:id/explain',
    {
      schema: byId("why a pending job isn't running (resources, its plugin busy, jobs ahead), or what it does", {
        200: Explanation,
      }),
    },
    (req) => client.explain(req.params.id),
  );
  app.get<ById>(
    '/jobs/:id/timeline',
    { schema: byId('each step of its life', { 200: z.array(JobEvent) }) },
    async (req) => (await client.get(req.params.id)).timeline,
  );
};
