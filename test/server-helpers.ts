import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { type BulkheadServer, type ServeOptions, serve } from 'bulkhead/server';
import type { LightMyRequestResponse } from 'fastify';
import { ECHO_SCHEMA, type FakePlugin, pluginDir, tempHome } from './manager-helpers.js';

/** The plugins the server tests run. */
export const SERVER_PLUGINS: FakePlugin[] = [
  { name: 'slow', fixture: 'slow', inputSchema: slowInput() },
  { name: 'echo', fixture: 'echo', configSchema: ECHO_SCHEMA },
  { name: 'binary', fixture: 'binary' },
  { name: 'fail', fixture: 'fail' },
  // Echo's worker takes any extra config keys; this schema adds a nested one the page cannot check.
  {
    name: 'tuned',
    fixture: 'echo',
    configSchema: {
      ...ECHO_SCHEMA,
      properties: {
        ...ECHO_SCHEMA.properties,
        limits: { type: 'object', properties: { max: { type: 'integer', maximum: 10 } }, additionalProperties: false },
      },
    },
  },
];

function slowInput(): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      steps: { type: 'integer', minimum: 1, default: 5, title: 'Steps' },
      stepMs: { type: 'integer', minimum: 0, default: 50, title: 'Step (ms)' },
    },
    required: ['steps', 'stepMs'],
    additionalProperties: false,
  };
}

/** A real server (queue, manager, control socket, HTTP on a free loopback port) over a temp home. */
export async function testServer(
  options: Partial<ServeOptions> = {},
  plugins = SERVER_PLUGINS,
): Promise<BulkheadServer> {
  return serve({
    home: tempHome(),
    port: 0,
    manager: { pluginPaths: [pluginDir(plugins)], liveness: { pingIntervalMs: 0 } },
    queue: { durability: 'process', cancelTimeoutMs: 2000 },
    sampleMs: 0,
    ...options,
  });
}

interface OpenApi {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
}

/**
 * `app.inject` with the token, each answer checked against the response schema the OpenAPI
 * document declares for its route and status: a route that answers something it does not
 * declare fails the test that made the call.
 */
export async function apiOf(server: BulkheadServer) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const auth = server.token ? { authorization: `Bearer ${server.token}` } : {};
  const doc = (await server.app.inject({ url: '/api/openapi.json', headers: auth })).json() as OpenApi;
  const routes = Object.entries(doc.paths).map(([path, ops]) => ({
    re: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    ops,
  }));
  const checked = new Set<string>();
  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> => {
    const res = await server.app.inject({
      method,
      url,
      headers: { ...auth, ...headers },
      ...(body === undefined ? {} : typeof body === 'string' ? { payload: body } : { payload: body as object }),
    });
    const path = url.split('?')[0] as string;
    const route = routes.find((r) => r.re.test(path));
    const op = route?.ops[method.toLowerCase()];
    if (op) {
      const declared = op.responses[String(res.statusCode)];
      assert.ok(declared, `${method} ${path} answered ${res.statusCode}, which it does not declare: ${res.body}`);
      const schema = declared.content?.['application/json']?.schema;
      if (schema && String(res.headers['content-type']).startsWith('application/json')) {
        const ok = ajv.validate(schema, res.json());
        assert.ok(ok, `${method} ${path} ${res.statusCode} breaks its schema: ${ajv.errorsText()}\n${res.body}`);
        checked.add(`${method} ${path.replace(/[0-9a-f-]{36}/, ':id')}`);
      }
    }
    return res;
  };
  return { call, doc, checked };
}

/** The error code of an error answer. */
export function codeOf(res: LightMyRequestResponse): string {
  return (res.json() as { error: { code: string } }).error.code;
}
