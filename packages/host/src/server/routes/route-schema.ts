/**
 * A route's schema from zod declarations: request parts as JSON Schema (input form: what may be
 * sent), responses by status, and the error body on every 4xx/5xx the route can answer.
 * @module
 */
import type { z } from 'zod';
import { ErrorBody, jsonSchema } from '../schemas/common.js';

export interface RouteSchemaParts {
  summary: string;
  tags: string[];
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  /** By status; a JSON body unless given as raw content. */
  response: Record<number, z.ZodType | { content: Record<string, { schema: Record<string, unknown> }> }>;
  /** Error statuses the route can answer (400 and 401 are always listed). */
  errors?: number[];
}

export function routeSchema(parts: RouteSchemaParts): Record<string, unknown> {
  const error = jsonSchema(ErrorBody);
  const response: Record<string, unknown> = {};
  for (const [status, s] of Object.entries(parts.response)) {
    response[status] = 'content' in s ? s : jsonSchema(s as z.ZodType);
  }
  const bodyErrors = parts.body ? [413] : [];
  for (const status of [400, 401, ...bodyErrors, ...(parts.errors ?? [])]) response[status] = error;
  return {
    summary: parts.summary,
    tags: parts.tags,
    ...(parts.params ? { params: jsonSchema(parts.params, 'input') } : {}),
    ...(parts.querystring ? { querystring: jsonSchema(parts.querystring, 'input') } : {}),
    ...(parts.body ? { body: jsonSchema(parts.body, 'input') } : {}),
    response,
  };
}
