/**
 * The HTTP face of a Bulkhead host: the routes under `/api`, the event stream, the OpenAPI
 * document and the dashboard, over one `QueueClient` (the one the control socket serves too, so
 * the three views behave the same). `buildApp` makes the Fastify instance without listening, so
 * tests drive it with `app.inject()`.
 * @module
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulkheadError } from '@bulkhead/sdk/errors';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { QueueClient } from '../control/types.js';
import { presentedToken, TOKEN_COOKIE, tokenCookie, tokenMatches } from './auth.js';
import type { EventHub } from './event-hub.js';
import { errorReply } from './http-status.js';
import { eventRoutes } from './routes/events.js';
import { jobRoutes } from './routes/jobs.js';
import { pluginRoutes } from './routes/plugins.js';
import { systemRoutes } from './routes/system.js';
import type { SseOptions } from './sse-stream.js';

export interface HostInfo {
  pid: number;
  home: string;
  version: string;
  /** The URL it serves, without the token. */
  url: string;
  controlSocket: string | null;
  startedAt: number;
}

export interface AppOptions {
  client: QueueClient;
  /** The live events; without it `/api/events` answers 503. */
  hub?: EventHub | null;
  /** The token every request must carry; null turns auth off (tests, or a proxy that does it). */
  token: string | null;
  info: HostInfo;
  /** Default 16 MiB. */
  bodyLimitBytes?: number;
  sse?: SseOptions;
  /** TLS: the cookie gets `Secure`. */
  https?: { key: Buffer; cert: Buffer };
}

export const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboard');

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimitBytes ?? 16 * 1024 * 1024;
  const app = Fastify({
    logger: false,
    bodyLimit,
    ...(options.https ? { https: options.https } : {}),
    // Every field's problem at once, extra fields refused (not silently dropped), numbers in
    // query strings read as numbers.
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }) as unknown as FastifyInstance;
  // Responses are plain JSON.stringify: the schemas document and (in tests) check them, but
  // fast-json-stringify would drop fields a schema does not list, such as a plugin's input.
  // Bodies are JSON only: a text/plain body would reach the schema as a string and be reported
  // as a wrong shape rather than as what it is.
  app.removeContentTypeParser('text/plain');
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler((error: FastifyError, _req, reply) => {
    const { status, body } = errorReply(fromFastify(error, bodyLimit));
    void reply.code(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const { status, body } = errorReply(
      new BulkheadError('ERR_ROUTE_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`, {
        method: req.method,
        url: req.url.split('?')[0] ?? '',
      }),
    );
    void reply.code(status).send(body);
  });
  if (options.token !== null) {
    const token = options.token;
    const secure = options.https !== undefined;
    app.addHook('onRequest', async (req, reply) => {
      const presented = presentedToken(req.headers, req.url);
      if (!tokenMatches(presented, token)) {
        const { status, body } = errorReply(
          new BulkheadError(
            'ERR_UNAUTHORIZED',
            'a token is needed: open the URL `bulkhead serve` printed, or send Authorization: Bearer <token>',
          ),
        );
        return reply.code(status).type('application/json').send(body);
      }
      // Opened from the printed URL: keep the token in an HttpOnly cookie and take it out of
      // the address bar (and so out of the history), as Jupyter does.
      const fromQuery = !req.headers.authorization && !req.headers.cookie?.includes(`${TOKEN_COOKIE}=`);
      if (fromQuery) reply.header('set-cookie', tokenCookie(token, secure));
      if (req.method === 'GET' && !req.url.startsWith('/api/') && req.url.includes('token=')) {
        const url = new URL(req.url, 'http://x');
        url.searchParams.delete('token');
        return reply.redirect(`${url.pathname}${url.search}${url.hash}`, 303);
      }
    });
  }
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Bulkhead', version: options.info.version, description: 'docs/server.md' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
      security: [{ token: [] }],
    },
  });
  await app.register(
    async (api) => {
      await api.register(systemRoutes, { client: options.client, info: options.info });
      await api.register(pluginRoutes, { client: options.client });
      await api.register(jobRoutes, { client: options.client });
      await api.register(eventRoutes, { hub: options.hub ?? null, sse: options.sse ?? {} });
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: '/api' },
  );
  await app.register(fastifyStatic, { root: DASHBOARD_DIR, prefix: '/', index: 'index.html', cacheControl: false });
  return app;
}

/** Fastify's own errors (bad JSON, size, content type, schema) as the registry's codes. */
function fromFastify(error: FastifyError, bodyLimit: number): unknown {
  if (error.validation) {
    const issues = error.validation.map((v) => {
      const missing = (v.params as { missingProperty?: string }).missingProperty;
      const extra = (v.params as { additionalProperty?: string }).additionalProperty;
      const path = [error.validationContext, ...v.instancePath.split('/').filter(Boolean), missing ?? extra]
        .filter((p) => p !== undefined && p !== '')
        .join('.');
      const message = extra
        ? `unknown field "${extra}"`
        : v.keyword === 'pattern' && error.validationContext === 'params'
          ? 'not a valid id (a job id is a UUID)'
          : (v.message ?? 'invalid');
      return { path, message };
    });
    const message = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return new BulkheadError('ERR_INVALID_ARGUMENT', message, { issues });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BulkheadError('ERR_BODY_TOO_LARGE', `the body is over ${bodyLimit} bytes`, { limitBytes: bodyLimit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BulkheadError('ERR_INVALID_JSON', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new BulkheadError('ERR_INVALID_JSON', `the body is not valid JSON: ${error.message}`);
  }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return new BulkheadError('ERR_INVALID_JSON', `the body is not valid JSON: ${error.message}`);
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new BulkheadError('ERR_INVALID_ARGUMENT', error.message);
  }
  return error;
}
