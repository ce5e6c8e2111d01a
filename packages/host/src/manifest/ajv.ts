/**
 * Ajv, loaded for ESM, and the shared instances that compile plugins' own JSON Schemas (their
 * config schemas), made on first use. Internal to `manifest/`: config-validator.ts is the public face.
 * @module
 */
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import ajv07Module from 'ajv';
import ajv2020Module from 'ajv/dist/2020.js';

// Ajv is CommonJS. Under NodeNext a default import is its `module.exports`, which is the class
// and also carries `.default` (the class again): `.default` is right for both the types and runtime.
export const Ajv2020 = ajv2020Module.default;
const Ajv07 = ajv07Module.default;
type Ajv = InstanceType<typeof Ajv2020> | InstanceType<typeof Ajv07>;

export type { ErrorObject, ValidateFunction };

// Plugins' schemas come from zod or are written by hand: unknown keywords ("examples", vendor
// extensions) are not errors, and formats ("email", "uri") are not checked here, because Ajv
// knows none without ajv-formats; the worker's own schema still checks them. verbose gives each
// error its schema, which "did you mean" needs.
const userOptions: Options = { allErrors: true, strict: false, validateFormats: false, logger: false, verbose: true };

type Flavour = 'draft2020' | 'draft07';
const instances = new Map<string, Ajv>();

function instance(flavour: Flavour, useDefaults: boolean): Ajv {
  const key = `${flavour}:${useDefaults}`;
  let ajv = instances.get(key);
  if (ajv === undefined) {
    const options = { ...userOptions, useDefaults };
    ajv = flavour === 'draft2020' ? new Ajv2020(options) : new Ajv07(options);
    instances.set(key, ajv);
  }
  return ajv;
}

/**
 * The instance that reads this schema's dialect, and the schema as that instance should see it.
 * zod writes draft 2020-12; hand-written schemas often say draft-07, whose `items` means something
 * else, so they get a draft-07 instance. Other dialects are read as the closest of the two, with
 * their `$schema` dropped (Ajv refuses a `$schema` it has no meta-schema for).
 */
function ajvFor(schema: object, useDefaults = false): { ajv: Ajv; schema: object } {
  const dialect = (schema as { $schema?: unknown }).$schema;
  if (dialect === undefined || (typeof dialect === 'string' && dialect.includes('/draft/2020-12/'))) {
    return { ajv: instance('draft2020', useDefaults), schema };
  }
  if (typeof dialect === 'string' && dialect.includes('/draft-07/')) {
    return { ajv: instance('draft07', useDefaults), schema };
  }
  const { $schema: _dropped, ...rest } = schema as Record<string, unknown>;
  const old = typeof dialect === 'string' && /draft-0\d/.test(dialect);
  return { ajv: instance(old ? 'draft07' : 'draft2020', useDefaults), schema: rest };
}

/**
 * Compiles a plugin's schema. The validator is the caller's to cache; Ajv's own cache is emptied
 * at once, because it holds every schema strongly (a leak for schemas that come and go) and would
 * refuse a second schema with the same `$id` (two versions of one plugin).
 */
export function compileUserSchema(schema: object, useDefaults = false): ValidateFunction {
  const prepared = ajvFor(schema, useDefaults);
  try {
    return prepared.ajv.compile(prepared.schema);
  } finally {
    prepared.ajv.removeSchema(prepared.schema);
  }
}
