/**
 * Writes `validate-manifest.generated.ts`: the manifest schema compiled by Ajv ahead of time (Ajv's
 * "standalone" code). Discovery then checks manifests without loading Ajv (some 90 modules, about
 * 50 ms) or compiling the schema in every process, which is most of what `bulkhead run` paid
 * before its worker could start.
 *
 * Run `npm run generate` after changing `schemas/manifest.schema.json` or upgrading Ajv; a test
 * regenerates the source and fails if the committed file differs. Never imported at run time.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Options } from 'ajv';
import ajv2020Module from 'ajv/dist/2020.js';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { manifestSchemaPath } from './manifest-validator.js';

/**
 * What manifestProblems() relies on: useDefaults fills `category` and `concurrency`; verbose gives
 * each error the offending value and the schema around it, for its messages. validateSchema is off:
 * a test checks this fixed schema against the meta-schema instead.
 */
export const MANIFEST_VALIDATOR_OPTIONS: Options = {
  allErrors: true,
  strict: true,
  useDefaults: true,
  verbose: true,
  validateSchema: false,
};

/** Where the generated module lives in the source tree (this file runs from `dist/manifest/`). */
export const generatedManifestValidatorPath: string = fileURLToPath(
  new URL('../../src/manifest/validate-manifest.generated.ts', import.meta.url),
);

/** The text of `validate-manifest.generated.ts`, from the schema file and the installed Ajv. */
export function generateManifestValidator(): string {
  const schema = JSON.parse(readFileSync(manifestSchemaPath, 'utf8')) as object;
  const ajv = new ajv2020Module.default({
    ...MANIFEST_VALIDATOR_OPTIONS,
    code: { source: true, esm: true, lines: true },
  });
  const code = standaloneModule.default(ajv, ajv.compile(schema));
  // Ajv's ESM output still require()s its small runtime helpers (ucs2length for minLength).
  const body = code.replace(/^"use strict";\s*/, '');
  return [
    `// Generated from schemas/manifest.schema.json by Ajv ${ajvVersion()} (standalone code): do not edit.`,
    '// Regenerate with `npm run generate`; see generate-manifest-validator.ts.',
    '// @ts-nocheck',
    "import { createRequire } from 'node:module';",
    '',
    'const require = createRequire(import.meta.url);',
    body.trimEnd(),
    '',
  ].join('\n');
}

function ajvVersion(): string {
  const pkg = fileURLToPath(import.meta.resolve('ajv/package.json'));
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(generatedManifestValidatorPath, generateManifestValidator());
  process.stdout.write(`wrote ${generatedManifestValidatorPath}\n`);
}
