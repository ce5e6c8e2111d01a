/**
 * Checks a parsed manifest against the published schema (`schemas/manifest.schema.json`) and says
 * what is wrong in words a plugin author can act on, one problem per failing field.
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from './ajv.js';
import { didYouMean } from './did-you-mean.js';

/** The manifest format version this Bulkhead reads. */
export const MANIFEST_VERSION = 1;

/**
 * The published JSON Schema of a manifest. Found relative to this module, so the same path works
 * from `dist/manifest/` and from `src/manifest/`: the package ships `schemas/` beside both.
 */
export const manifestSchemaPath: string = fileURLToPath(new URL('../../schemas/manifest.schema.json', import.meta.url));

/** One thing wrong with a manifest: `field` is a JSON pointer (`/resources/gpuMemoryMB`), absent for the whole file. */
export interface ManifestProblem {
  field?: string;
  message: string;
}

let validator: ValidateFunction | undefined;

// Compiled on first use, once per process: compiling costs milliseconds, validating microseconds,
// and discovery validates every manifest on the machine.
function manifestValidator(): ValidateFunction {
  if (validator === undefined) {
    const schema = JSON.parse(readFileSync(manifestSchemaPath, 'utf8')) as object;
    // useDefaults fills `category` and `concurrency`; verbose gives each error the offending value
    // and the schema around it, for the messages below. validateSchema is off because checking our
    // own fixed schema against the draft 2020-12 meta-schema would compile that first, which costs
    // more than discovering a thousand plugins; a test checks the schema instead.
    const ajv = new Ajv2020({ allErrors: true, strict: true, useDefaults: true, verbose: true, validateSchema: false });
    validator = ajv.compile(schema);
  }
  return validator;
}

/**
 * Everything wrong with a parsed manifest, in the order the schema checks it; empty if it is valid.
 * Fills in the schema's defaults (`category`, `concurrency`) in `data` as it goes.
 *
 * @example
 * manifestProblems({ manifestVersion: 1, name: 'x', version: '1.0.0', entry: 'i.js', entrypoint: 'i.js' })
 * // [{ field: '/entrypoint', message: 'unknown field "entrypoint" (did you mean "entry"?)' }]
 */
export function manifestProblems(data: unknown): ManifestProblem[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return [{ message: `must hold a JSON object (found ${kind(data)})` }];
  }
  // A newer format may have moved or renamed anything, so its other "errors" would only mislead.
  const version = (data as { manifestVersion?: unknown }).manifestVersion;
  if (typeof version === 'number' && version !== MANIFEST_VERSION) {
    return [
      {
        field: '/manifestVersion',
        message: `manifestVersion ${version} is not supported (this Bulkhead reads ${MANIFEST_VERSION})`,
      },
    ];
  }
  const validate = manifestValidator();
  const problems = validate(data) ? [] : (validate.errors ?? []).map(describe);
  // `"entrypoint"` makes `/entry` missing too; "unknown field "entrypoint" (did you mean "entry"?)"
  // already says both, so the second message would only send the reader to the wrong field.
  const suggested = new Set(problems.map((p) => p.suggests).filter((s) => s !== undefined));
  return problems
    .filter((p) => !(p.missing && suggested.has(p.field ?? '')))
    .map(({ missing: _missing, suggests: _suggests, ...problem }) => problem);
}

/** A problem, with what the filter above needs to know. */
interface Described extends ManifestProblem {
  /** A `required` failure. */
  missing?: boolean;
  /** For an unknown field, the field it was probably meant to be. */
  suggests?: string;
}

function describe(e: ErrorObject): Described {
  const at = e.instancePath;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const field = `${at}/${params.missingProperty}`;
      return { field, message: `${field} is required`, missing: true };
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const suggestion = didYouMean(name, known);
      const where = at === '' ? '' : ` in ${at}`;
      const hint = suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
      const problem: Described = { field: `${at}/${name}`, message: `unknown field "${name}"${where}${hint}` };
      if (suggestion !== undefined) problem.suggests = `${at}/${suggestion}`;
      return problem;
    }
    case 'type': {
      const wanted = String(params.type)
        .split(',')
        .map((t) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`))
        .join(' or ');
      return { field: at, message: `${at} must be ${wanted} (found ${kind(e.data)})` };
    }
    case 'const':
      return { field: at, message: `${at} must be ${JSON.stringify(params.allowedValue)}` };
    case 'minLength':
      return { field: at, message: params.limit === 1 ? `${at} must not be empty` : `${at} ${e.message}` };
    case 'pattern':
      if (at === '/name') {
        return {
          field: at,
          message: `/name ${JSON.stringify(e.data)} is not a valid plugin name: use lowercase letters, digits and . _ - / @, starting with a letter, a digit or @`,
        };
      }
      return { field: at, message: `${at} must match the pattern ${String(params.pattern)}` };
    default:
      return { field: at, message: `${at} ${e.message ?? 'is invalid'}` };
  }
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'number' : `number ${value}`;
  return typeof value;
}
