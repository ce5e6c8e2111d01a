/**
 * Config checks on the host side, against a plugin's JSON Schema (its manifest's `configSchema`, or
 * the schema its worker reported): the manager refuses a bad config update before anything changes,
 * rather than learning of it from a worker it has already restarted.
 * @module
 */
import { BulkheadError, type ConfigIssue } from '@bulkhead/sdk/errors';
import { compileUserSchema, type ErrorObject, type ValidateFunction } from './ajv.js';
import { didYouMean } from './did-you-mean.js';

// Keyed by the schema object, so a plugin's schema is compiled once and let go with the plugin.
const checkers = new WeakMap<object, ValidateFunction>();
const fillers = new WeakMap<object, ValidateFunction>();

function compiled(cache: WeakMap<object, ValidateFunction>, schema: object, useDefaults: boolean): ValidateFunction {
  let validate = cache.get(schema);
  if (validate === undefined) {
    try {
      validate = compileUserSchema(schema, useDefaults);
    } catch (e) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', `not a usable JSON Schema: ${(e as Error).message}`, undefined, {
        cause: e,
      });
    }
    cache.set(schema, validate);
  }
  return validate;
}

/**
 * Every way `value` fails `schema`, one issue per failing field (`path` dotted, `''` for the
 * root); empty when it passes. `value` is not changed. Formats (`email`, `uri`) are not checked.
 * Throws `ERR_INVALID_ARGUMENT` if `schema` is not a JSON Schema.
 *
 * @example
 * validateAgainstSchema(schema, { port: -1, host: 3 })
 * // [{ path: 'port', message: 'must be >= 1' }, { path: 'host', message: 'must be string' }]
 */
/** Every issue in one line, for an error message: `a.b: must be integer; (root): …`. */
export function describeIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
}

export function validateAgainstSchema(schema: object, value: unknown): ConfigIssue[] {
  const validate = compiled(checkers, schema, false);
  return validate(value) ? [] : issuesOf(validate.errors ?? []);
}

/**
 * A copy of `value` with the schema's `default`s filled in where a property is missing: at the
 * top level and inside nested objects that are present or that a default created. An absent
 * nested object with no default of its own stays absent, since creating it could turn on
 * something the user left off. Invalid values are left for {@link validateAgainstSchema} to report.
 *
 * @example
 * applyDefaults({ type: 'object', properties: { greeting: { type: 'string', default: 'Hello' } } }, {})
 * // { greeting: 'Hello' }
 */
export function applyDefaults(schema: object, value: Record<string, unknown> = {}): Record<string, unknown> {
  const copy = structuredClone(value);
  compiled(fillers, schema, true)(copy);
  return copy;
}

function issuesOf(errors: ErrorObject[]): ConfigIssue[] {
  // The branches of an anyOf/oneOf each fail at the same place ("must be string", "must be null",
  // then "must match a schema in anyOf"); one issue saying what would pass reads better.
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const branchesOf = (u: ErrorObject) =>
    errors.filter((e) => e !== u && e.instancePath === u.instancePath && e.schemaPath.startsWith(`${u.schemaPath}/`));
  const inUnion = new Set(unions.flatMap(branchesOf));

  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // An if/then failure is reported by the then-branch's own errors.
    if (inUnion.has(e) || e.keyword === 'if') continue;
    const issue = describe(e);
    if (unions.includes(e)) {
      const branches = branchesOf(e);
      if (branches.length > 0 && branches.every((b) => b.keyword === 'type')) {
        issue.message = `must be ${branches.map((b) => String(b.params.type)).join(' or ')}`;
      }
    }
    const key = `${issue.path}\0${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

function describe(e: ErrorObject): ConfigIssue {
  const at = dotted(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: join(at, String(params.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const suggestion = didYouMean(name, known);
      return {
        path: join(at, name),
        message: suggestion === undefined ? 'unknown field' : `unknown field (did you mean "${suggestion}"?)`,
      };
    }
    case 'enum':
      return {
        path: at,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { path: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { path: at, message: e.message ?? 'is invalid' };
  }
}

/** `/a/b~1c/0` → `a.b/c.0`: the dotted form ConfigIssue uses (the worker's zod issues read the same). */
function dotted(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
