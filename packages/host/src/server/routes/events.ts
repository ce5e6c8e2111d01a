/**
 * `GET /api/events`: the one Server-Sent Events stream (docs/server.md, "Events").
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { EventHub } from '../event-hub.js';
import { type SseOptions, streamEvents } from '../sse-stream.js';
import { routeSchema } from './route-schema.js';

const EventsQuery = z.object({ lastEventId: z.coerce.number().int().min(0).optional() }).strict();

export const eventRoutes: FastifyPluginAsync<{ hub: EventHub | null; sse: SseOptions }> = async (app, { hub, sse }) => {
  app.get<{ Querystring: { lastEventId?: number }; Headers: { 'last-event-id'?: string } }>(
    '/events',
    {
      schema: {
        ...routeSchema({
          summary:
            'live events (job, progress, job.log, plugin, plugin.log, resources): resume with Last-Event-ID (header or lastEventId=)',
          tags: ['events'],
          querystring: EventsQuery,
          response: { 200: { content: { 'text/event-stream': { schema: { type: 'string' } } } } },
          errors: [503],
        }),
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^\\d+$' } } },
      },
    },
    async (req, reply) => {
      if (hub === null) throw new BulkheadError('ERR_QUEUE_CLOSED', 'this server has no event stream');
      const header = req.headers['last-event-id'];
      const lastId = header !== undefined ? Number(header) : (req.query.lastEventId ?? null);
      reply.hijack();
      streamEvents(reply.raw, hub, lastId, sse);
    },
  );
};
