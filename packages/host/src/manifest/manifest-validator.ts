/**
 * Checks a parsed manifest against the published schema (`schemas/manifest.schema.json`) and says
 * what is wrong in words a plugin author can act on, one problem per failing field.
 * @module
 */
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from './ajv.js';
import { didYouMean } from './did-you-mean.js';
import { validate } from './validate-manifest.generated.js';

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

// Compiled ahead of time from the schema above (generate-manifest-validator.ts, options there):
// discovery runs in every CLI process, and loading Ajv and compiling the schema cost more than
// discovering a thousand plugins.
const manifestValidator = validate as unknown as ValidateFunction;

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
  const problems = manifestValidator(data) ? [] : (manifestValidator.errors ?? []).map(describe);
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
