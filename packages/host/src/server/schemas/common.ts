/**
 * Shapes shared by the HTTP routes, as zod schemas: the routes declare their JSON Schema (what
 * Fastify validates requests with and /api/openapi.json publishes), and `bulkhead/client` takes its
 * types from the same declarations, so the three cannot drift apart.
 * @module
 */
import { z } from 'zod';

/** `{ error: { code, message, data? } }`, the body of every 4xx/5xx answer. */
export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), data: z.unknown().optional() }),
});

export const Ok = z.object({ ok: z.literal(true) });

/** Values may hold bytes, written as `{"$bytes": "<base64>"}` (docs/control.md, "Values"). */
export const AnyValue = z.unknown().describe('any JSON value; bytes are {"$bytes": "<base64>"}');

export const LogEntry = z.object({
  time: z.number(),
  source: z.enum(['stdout', 'stderr', 'plugin', 'host']),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
  callId: z.number().optional(),
  data: z.unknown().optional(),
});

export const NameParams = z.object({ name: z.string().min(1).max(214) });

/** Job ids are UUIDs; anything else is refused before it reaches the store. */
export const IdParams = z.object({
  id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a job id is a UUID'),
});

export const TailQuery = z.object({ tail: z.coerce.number().int().min(1).max(10_000).optional() });
export const LimitQuery = z.object({ limit: z.coerce.number().int().min(1).max(10_000).optional() });

/** JSON Schema of a zod schema, in the draft Fastify's Ajv reads. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}
