/**
 * `/api/plugins…`: list, get, load, unload, reload, enable, disable, config, schemas, stats, logs.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { QueueClient } from '../../control/types.js';
import type { PluginSummary as Summary } from '../../manager/types.js';
import { LogEntry, NameParams, Ok, TailQuery } from '../schemas/common.js';
import { ConfigApplied, ConfigBody, ConfigView, PluginSummary, Schemas, Telemetry } from '../schemas/plugins.js';
import { routeSchema } from './route-schema.js';

type Named = { Params: { name: string } };

export const pluginRoutes: FastifyPluginAsync<{ client: QueueClient }> = async (app, { client }) => {
  const runtimes = new Map<string, string>();
  /** What runs the plugin's worker, read from its manifest (a Python plugin's says `python`). */
  const withRuntime = async (s: Summary) => {
    let runtime = runtimes.get(s.manifestPath);
    if (runtime === undefined) {
      try {
        const m = JSON.parse(await readFile(s.manifestPath, 'utf8')) as { runtime?: string; node?: string };
        runtime = m.runtime ?? (m.node ? 'node (pinned)' : 'node');
      } catch {
        runtime = 'node';
      }
      runtimes.set(s.manifestPath, runtime);
    }
    return { ...s, runtime };
  };
  const one = async (name: string) => {
    const found = (await client.plugins()).find((p) => p.name === name);
    if (!found) throw new BulkheadError('ERR_UNKNOWN_PLUGIN', `no plugin named "${name}"`, { name });
    return withRuntime(found);
  };
  const tags = ['plugins'];
  const named = (
    summary: string,
    response: Record<number, z.ZodType>,
    extra: Partial<Parameters<typeof routeSchema>[0]> = {},
  ) => routeSchema({ summary, tags, params: NameParams, response, errors: [404, 409, 500, 503], ...extra });

  app.get(
    '/plugins',
    { schema: routeSchema({ summary: 'every discovered plugin', tags, response: { 200: z.array(PluginSummary) } }) },
    async () => Promise.all((await client.plugins()).map(withRuntime)),
  );
  app.get<Named>('/plugins/:name', { schema: named('one plugin', { 200: PluginSummary }) }, (req) =>
    one(req.params.name),
  );
  app.post<Named>(
    '/plugins/:name/load',
    { schema: named("start the plugin's worker", { 200: PluginSummary }) },
    async (req) => withRuntime(await client.loadPlugin(req.params.name)),
  );
  app.post<Named>('/plugins/:name/unload', { schema: named("stop the plugin's worker", { 200: Ok }) }, async (req) => {
    await client.unloadPlugin(req.params.name);
    return { ok: true };
  });
  app.post<Named>(
    '/plugins/:name/reload',
    { schema: named("restart the plugin's worker (resets an open circuit breaker)", { 200: PluginSummary }) },
    async (req) => withRuntime(await client.reloadPlugin(req.params.name)),
  );
  app.post<Named>(
    '/plugins/:name/reset',
    { schema: named('close its circuit breaker: its held jobs start again', { 200: PluginSummary }) },
    async (req) => withRuntime(await client.resetPlugin(req.params.name)),
  );
  for (const verb of ['enable', 'disable'] as const) {
    app.post<Named>(
      `/plugins/:name/${verb}`,
      { schema: named(`${verb} the plugin`, { 200: PluginSummary }) },
      async (req) => {
        await client.setEnabled(req.params.name, verb === 'enable');
        return one(req.params.name);
      },
    );
  }
  app.get<Named>('/plugins/:name/config', { schema: named('its config', { 200: ConfigView }) }, async (req) => ({
    config: (await one(req.params.name)).config,
  }));
  app.put<Named & { Body: Record<string, unknown> }>(
    '/plugins/:name/config',
    {
      schema: named(
        "change its config: the patch is checked against the plugin's schema (ERR_CONFIG_INVALID lists every failing field)",
        { 200: ConfigApplied },
        { body: ConfigBody },
      ),
    },
    async (req) => {
      const { applied } = await client.updateConfig(req.params.name, req.body);
      return { applied, config: (await one(req.params.name)).config };
    },
  );
  app.get<Named>(
    '/plugins/:name/schemas',
    { schema: named('its config and input JSON Schemas', { 200: Schemas }) },
    (req) => client.pluginSchemas(req.params.name),
  );
  app.get<Named>(
    '/plugins/:name/stats',
    { schema: named("its worker's CPU, RSS, GPU memory and calls", { 200: Telemetry }) },
    (req) => client.telemetry(req.params.name),
  );
  app.get<Named & { Querystring: { tail?: number } }>(
    '/plugins/:name/logs',
    { schema: named('its log, the last `tail` entries', { 200: z.array(LogEntry) }, { querystring: TailQuery }) },
    (req) => client.pluginLogs(req.params.name, req.query.tail),
  );
};
