/**
 * `/api/health`, `/api/hosts`, `/api/system`, `/api/queue`.
 * @module
 */
import type { FastifyPluginAsync } from 'fastify';
import type { QueueClient } from '../../control/types.js';
import { toWire } from '../../control/wire.js';
import type { HostInfo } from '../app.js';
import { QueueState } from '../schemas/jobs.js';
import { Health, Hosts, SystemView } from '../schemas/plugins.js';
import { routeSchema } from './route-schema.js';

export const systemRoutes: FastifyPluginAsync<{ client: QueueClient; info: HostInfo }> = async (
  app,
  { client, info },
) => {
  app.get(
    '/health',
    { schema: routeSchema({ summary: 'the host is up', tags: ['system'], response: { 200: Health } }) },
    async () => ({ ok: true, version: info.version, pid: info.pid, uptimeMs: Date.now() - info.startedAt }),
  );
  app.get(
    '/hosts',
    {
      schema: routeSchema({
        summary:
          'this server, and (on a queue shared through Redis) every host with its plugins, jobs and free resources',
        tags: ['system'],
        response: { 200: Hosts },
      }),
    },
    async () => {
      const { backend } = await client.snapshot({ recent: 1, pending: 1 });
      return toWire({ hosts: [info], ...(backend ? { backend } : {}) });
    },
  );
  app.get(
    '/system',
    {
      schema: routeSchema({
        summary: 'CPU, RAM and GPUs as measured now, and what running jobs reserve',
        tags: ['system'],
        response: { 200: SystemView },
      }),
    },
    () => client.system(),
  );
  app.get(
    '/queue',
    {
      schema: routeSchema({
        summary: 'running jobs, and pending ones in the order they will run',
        tags: ['jobs'],
        response: { 200: QueueState },
      }),
    },
    async () => {
      const s = await client.snapshot({ recent: 1, pending: 1000 });
      return toWire({ time: s.time, running: s.running, pending: s.pending, policy: s.policy });
    },
  );
};
