/**
 * Ajv, loaded on first use, and the shared instances that compile plugins' own JSON Schemas (their
 * config schemas), made on first use. Internal to `manifest/`: config-validator.ts is the public face.
 * @module
 */
import { createRequire } from 'node:module';
import type ajv07Module from 'ajv';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type ajv2020Module from 'ajv/dist/2020.js';

// Ajv is about 90 modules, some 50 ms to load: it is required on first use, not when this module is
// imported, so a process that only reads manifests (checked by the precompiled validator in
// validate-manifest.generated.ts) never loads it. It is CommonJS, so require() is synchronous and
// the compile functions below stay synchronous too. Its `module.exports` is the class and also
// carries `.default` (the class again): `.default` is right for both the types and runtime.
const require = createRequire(import.meta.url);
type Ajv2020 = InstanceType<typeof ajv2020Module.default>;
type Ajv = Ajv2020 | InstanceType<typeof ajv07Module.default>;

/** A new draft 2020-12 Ajv, loading Ajv on the first call. */
export function newAjv2020(options: Options): Ajv2020 {
  const { default: Ajv2020 } = require('ajv/dist/2020.js') as typeof ajv2020Module;
  return new Ajv2020(options);
}

function newAjv07(options: Options): Ajv {
  const { default: Ajv07 } = require('ajv') as typeof ajv07Module;
  return new Ajv07(options);
}

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
    ajv = flavour === 'draft2020' ? newAjv2020(options) : newAjv07(options);
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
