/**
 * Checks plugins.yaml data against the published schema (`schemas/plugins-file.schema.json`) and
 * turns Ajv's errors into plain words, one problem per failing field.
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ErrorObject, newAjv2020, type ValidateFunction } from '../manifest/ajv.js';
import { didYouMean } from '../manifest/did-you-mean.js';
import type { Problem, Segment } from './plugins-file-yaml.js';

/** The plugins file format version this Bulkhead reads. */
export const PLUGINS_FILE_VERSION = 1;

/**
 * The published JSON Schema of a plugins file. Found relative to this module, so the same path
 * works from `dist/install/` and from `src/install/`: the package ships `schemas/` beside both.
 */
export const pluginsFileSchemaPath: string = fileURLToPath(
  new URL('../../schemas/plugins-file.schema.json', import.meta.url),
);

let validator: ValidateFunction | undefined;

function pluginsFileValidator(): ValidateFunction {
  // verbose gives each error the offending value and its schema, for the words below. As for the
  // manifest schema, a test checks this fixed schema against the meta-schema rather than every start.
  validator ??= newAjv2020({ allErrors: true, strict: true, verbose: true, validateSchema: false }).compile(
    JSON.parse(readFileSync(pluginsFileSchemaPath, 'utf8')) as object,
  );
  return validator;
}

/** Everything the schema finds wrong with `data` (a mapping, parsed from the file); empty if nothing. */
export function schemaProblems(data: Record<string, unknown>): Problem[] {
  const validate = pluginsFileValidator();
  if (validate(data as unknown)) return [];
  const problems = (validate.errors ?? []).map(describe).filter((p) => p !== undefined);
  // A newer format may have moved or renamed anything, so its other "errors" would only mislead.
  const version = problems.find((p) => p.path?.length === 1 && p.path[0] === 'version');
  if (typeof data.version === 'number' && version !== undefined) return [version];
  // "sorce" makes "source" missing too; `has unknown field "sorce" (did you mean "source"?)`
  // already says both, so the second message would only send the reader to the wrong line.
  const suggested = new Set(problems.map((p) => p.suggests).filter((s) => s !== undefined));
  return problems.filter((p) => p.missing === undefined || !suggested.has(p.missing));
}

/** A problem, with what the filter above needs to know: the field it misses, or suggests. */
interface Described extends Problem {
  missing?: string;
  suggests?: string;
}

function describe(e: ErrorObject): Described | undefined {
  const path = segments(e.instancePath);
  const params = e.params as Record<string, unknown>;
  // One message for the whole anyOf (integer, or a string of digits) rather than one per branch.
  if (path.length === 3 && path[0] === 'plugins' && path[2] === 'node') {
    return { path, message: 'must be a major version like 22' };
  }
  switch (e.keyword) {
    case 'required': {
      const name = String(params.missingProperty);
      return { path, message: `is missing required field "${name}"`, missing: `${e.instancePath}/${name}` };
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const suggestion = didYouMean(name, known);
      const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
      const problem: Described = { path, message: `has unknown field "${name}"${hint}`, at: [...path, name] };
      problem.atKey = true;
      if (suggestion !== undefined) problem.suggests = `${e.instancePath}/${suggestion}`;
      return problem;
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      const message = `has an invalid variable name "${name}" (use letters, digits and _, not starting with a digit)`;
      return { path, message, at: [...path, name], atKey: true };
    }
    case 'type':
      return { path, message: `must be ${wanted(String(params.type))} (found ${found(e.data)})${hint(path, e)}` };
    case 'const': {
      const newer = typeof e.data === 'number' && e.data > PLUGINS_FILE_VERSION ? ': a newer Bulkhead wrote it' : '';
      return { path, message: `must be ${JSON.stringify(params.allowedValue)} (found ${found(e.data)}${newer})` };
    }
    case 'minimum':
      return { path, message: `must be at least ${params.limit} (found ${found(e.data)})` };
    case 'exclusiveMinimum':
      return { path, message: `must be more than ${params.limit} (found ${found(e.data)})` };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'pattern':
      // `name` and `passEnv` items have patterns here (env names are checked by propertyNames, reported above).
      if (e.propertyName !== undefined) return undefined;
      if (path.includes('passEnv')) {
        return {
          path,
          message: `${JSON.stringify(e.data)} is not a variable name: use NAME or PREFIX* (letters, digits, _)`,
        };
      }
      return {
        path,
        message: `${JSON.stringify(e.data)} is not a valid plugin name: use lowercase letters, digits and . _ - / @, starting with a letter, a digit or @`,
      };
    default:
      return { path, message: e.message ?? 'is invalid' };
  }
}

/** The fields that are lists, whose items show as `[1]`. */
const LISTS = new Set(['plugins', 'passEnv', 'fsRead', 'fsWrite']);

/** `/plugins/2/env/A~1B` → `['plugins', 2, 'env', 'A/B']`; `/plugins/0/passEnv/1` → `[…, 'passEnv', 1]`. */
function segments(pointer: string): Segment[] {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((p, i, all) => (i > 0 && LISTS.has(all[i - 1] as string) && /^\d+$/.test(p) ? Number(p) : p));
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  object: 'a mapping',
  array: 'a list',
  boolean: 'true or false',
};

function wanted(types: string): string {
  return types
    .split(',')
    .map((t) => TYPE_WORDS[t] ?? t)
    .join(' or ');
}

/** A value as the message shows it: `1.5`, `"abc"`, `a list`. */
export function found(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const shown = JSON.stringify(value);
  return shown.length > 40 ? `${shown.slice(0, 37)}…"` : shown;
}

// YAML reads `PORT: 8080` as a number and `- ./plugins/x` as a bare string; the fix for each is
// one the reader may not guess.
function hint(path: Segment[], e: ErrorObject): string {
  const { data } = e;
  if (path.length === 2 && path[0] === 'plugins' && typeof data === 'string') return `; write "- source: ${data}"`;
  if (String(e.params.type) === 'string' && (typeof data === 'number' || typeof data === 'boolean')) {
    return `; put it in quotes: "${data}"`;
  }
  return '';
}
