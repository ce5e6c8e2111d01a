/**
 * The schemas a plugin may give for its `config` and `input`: a zod 4 schema, a zod 3 schema, or
 * a plain JSON Schema object. Each is turned into JSON Schema for the host, and (zod) used to
 * check and fill in values in the worker. zod 3 has no JSON Schema export, and zod 4's
 * `toJSONSchema` fails on a zod 3 schema (`reading 'def'`), so zod 3 is converted here.
 * @module
 */
import { BulkheadError, type ConfigIssue } from './errors.js';

export type SchemaKind = 'zod4' | 'zod3' | 'json-schema';

interface SafeParser {
  safeParse(v: unknown): {
    success: boolean;
    data?: unknown;
    error?: { issues: { path: PropertyKey[]; message: string }[] };
  };
}

/** What `schema` is, or undefined for something that is none of the accepted kinds. */
export function schemaKind(schema: unknown): SchemaKind | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const s = schema as Record<string, unknown>;
  if (typeof s.safeParse === 'function') {
    if (typeof s._zod === 'object' && s._zod !== null) return 'zod4';
    if (typeof s._def === 'object' && s._def !== null) return 'zod3';
    return undefined;
  }
  // A JSON Schema: a plain object using at least one of its keywords.
  const proto = Object.getPrototypeOf(s);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const keywords = ['type', 'properties', '$schema', '$ref', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', 'items'];
  return keywords.some((k) => k in s) ? 'json-schema' : undefined;
}

/** The message for a schema of no accepted kind, naming the field and what it accepts. */
export function schemaProblem(field: 'config' | 'input', schema: unknown): string | undefined {
  if (schema === undefined || schemaKind(schema) !== undefined) return undefined;
  const got = schema === null ? 'null' : Array.isArray(schema) ? 'an array' : typeof schema;
  return `"${field}" must be a zod 4 or zod 3 schema (e.g. z.object({ ... })) or a JSON Schema object ({ type: 'object', properties: { ... } }); got ${got}`;
}

/**
 * Checks `raw` against the schema; returns the value with defaults filled in. zod schemas parse;
 * a JSON Schema only fills its `default`s here (the host checks values against it with Ajv).
 */
export function parseWith(
  schema: unknown,
  raw: unknown,
  what: string,
  code: 'ERR_CONFIG_INVALID' | 'ERR_INPUT_INVALID',
): unknown {
  const kind = schemaKind(schema);
  if (kind === undefined) return raw;
  if (kind === 'json-schema') return withDefaults(schema as JsonSchema, raw);
  const parsed = (schema as SafeParser).safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues: ConfigIssue[] = (parsed.error?.issues ?? []).map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
  }));
  const list = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
  throw new BulkheadError(code, `invalid ${what}: ${list}`, { issues });
}

/** The schema as JSON Schema (input side: fields with defaults are optional). */
export async function toJsonSchema(schema: unknown): Promise<Record<string, unknown> | null> {
  const kind = schemaKind(schema);
  if (kind === undefined) return null;
  if (kind === 'json-schema') return schema as Record<string, unknown>;
  if (kind === 'zod3') return fromZod3(schema as Zod3);
  const s = schema as { toJSONSchema?: (o: object) => Record<string, unknown> };
  const options = { io: 'input', unrepresentable: 'any' };
  if (typeof s.toJSONSchema === 'function') return s.toJSONSchema(options);
  // Older zod 4 releases have only the free function; load it only for plugins that need it.
  const { z } = await import('zod');
  return z.toJSONSchema(schema as never, options as never) as Record<string, unknown>;
}

type JsonSchema = { type?: unknown; properties?: Record<string, JsonSchema>; default?: unknown };

function withDefaults(schema: JsonSchema, raw: unknown): unknown {
  if (raw === undefined && 'default' in schema) return structuredClone(schema.default);
  if (schema.properties === undefined || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const [key, sub] of Object.entries(schema.properties)) {
    const filled = withDefaults(sub, out[key]);
    if (filled !== undefined) out[key] = filled;
  }
  return out;
}

interface Zod3 {
  _def: { typeName?: string; [k: string]: unknown };
  description?: string;
}

/** zod 3's schema tree as JSON Schema: the common types; anything else as `{}` (any value). */
function fromZod3(schema: Zod3): Record<string, unknown> {
  const def = schema._def;
  const out = ((): Record<string, unknown> => {
    switch (def.typeName) {
      case 'ZodString':
        return { type: 'string', ...checks(def, { min: 'minLength', max: 'maxLength' }) };
      case 'ZodNumber': {
        const int = (def.checks as { kind: string }[] | undefined)?.some((c) => c.kind === 'int');
        return { type: int ? 'integer' : 'number', ...checks(def, { min: 'minimum', max: 'maximum' }) };
      }
      case 'ZodBigInt':
        return { type: 'integer' };
      case 'ZodBoolean':
        return { type: 'boolean' };
      case 'ZodNull':
        return { type: 'null' };
      case 'ZodLiteral':
        return { const: def.value };
      case 'ZodEnum':
        return { type: 'string', enum: def.values };
      case 'ZodNativeEnum':
        return { enum: Object.values(def.values as object) };
      case 'ZodArray':
        return { type: 'array', items: fromZod3(def.type as Zod3) };
      case 'ZodTuple':
        return { type: 'array', prefixItems: (def.items as Zod3[]).map(fromZod3) };
      case 'ZodRecord':
        return { type: 'object', additionalProperties: fromZod3(def.valueType as Zod3) };
      case 'ZodUnion':
      case 'ZodDiscriminatedUnion':
        return { anyOf: [...(def.options as Iterable<Zod3>)].map(fromZod3) };
      case 'ZodNullable':
        return { anyOf: [fromZod3(def.innerType as Zod3), { type: 'null' }] };
      case 'ZodOptional':
      case 'ZodReadonly':
      case 'ZodCatch':
        return fromZod3(def.innerType as Zod3);
      case 'ZodDefault':
        return { ...fromZod3(def.innerType as Zod3), default: (def.defaultValue as () => unknown)() };
      case 'ZodEffects':
        return fromZod3(def.schema as Zod3);
      case 'ZodLazy':
        return {};
      case 'ZodObject': {
        const shape = (def.shape as () => Record<string, Zod3>)();
        const properties: Record<string, unknown> = {};
        const required: string[] = [];
        for (const [key, field] of Object.entries(shape)) {
          properties[key] = fromZod3(field);
          // Input side: a field with a default, or optional, may be left out.
          const t = field._def.typeName;
          if (t !== 'ZodOptional' && t !== 'ZodDefault' && t !== 'ZodCatch') required.push(key);
        }
        const strict = def.unknownKeys === 'strict';
        return {
          type: 'object',
          properties,
          ...(required.length > 0 ? { required } : {}),
          ...(strict ? { additionalProperties: false } : {}),
        };
      }
      default:
        return {};
    }
  })();
  return schema.description !== undefined ? { ...out, description: schema.description } : out;
}

function checks(def: Zod3['_def'], names: { min: string; max: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of (def.checks as { kind: string; value?: unknown }[] | undefined) ?? []) {
    if (c.kind === 'min') out[names.min] = c.value;
    if (c.kind === 'max') out[names.max] = c.value;
  }
  return out;
}
