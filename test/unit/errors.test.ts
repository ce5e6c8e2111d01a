import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as sdk from '@bulkhead/sdk';
import {
  BulkheadError,
  behaviourOf,
  CLI_EXIT,
  ERROR_CODES,
  ERRORS,
  errorFromWire,
  hintOf,
  isBulkheadError,
  isRetryable,
  toBulkheadError,
} from '@bulkhead/sdk/errors';
import { repoRoot } from '../helpers.js';

const docs = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');

test('every error code is documented in docs/errors.md (table and section), and nothing else is', () => {
  const codes = Object.keys(ERROR_CODES).sort();
  const sections = [...docs.matchAll(/^## (ERR_[A-Z_]+)$/gm)].map((m) => m[1]).sort();
  const rows = [...docs.matchAll(/^\| \[(ERR_[A-Z_]+)\]\(#(err_[a-z_]+)\)/gm)];
  assert.deepEqual(sections, codes);
  assert.deepEqual(rows.map((m) => m[1]).sort(), codes);
  for (const m of rows) assert.equal(m[2], m[1]?.toLowerCase());
  for (const [k, v] of Object.entries(ERROR_CODES)) assert.equal(k, v);
  assert.deepEqual(Object.keys(ERRORS).sort(), codes);
});

test("the docs' table states each code's behaviour as the registry holds it (retried, CLI exit)", () => {
  const rows = [...docs.matchAll(/^\| \[(ERR_[A-Z_]+)\]\([^)]*\) \|[^|]*\| (yes|no) \| (\d+) \|/gm)];
  assert.equal(rows.length, Object.keys(ERRORS).length);
  for (const [, code, retried, exit] of rows) {
    const b = behaviourOf(code as string);
    assert.equal(retried === 'yes', b.retryable, `${code}: retried`);
    assert.equal(Number(exit), b.exit, `${code}: exit`);
  }
});

test('retrying: a job is run again only for codes that retrying can fix', () => {
  const final = Object.keys(ERRORS).filter((c) => !isRetryable(c));
  for (const c of [
    'ERR_CANCELLED',
    'ERR_SERIALIZE',
    'ERR_UNKNOWN_PLUGIN',
    'ERR_PLUGIN_DISABLED',
    'ERR_INPUT_INVALID',
  ]) {
    assert.ok(final.includes(c), c);
  }
  for (const c of ['ERR_INSUFFICIENT_RESOURCES', 'ERR_CONFIG_INVALID', 'ERR_NOT_SUPPORTED'])
    assert.ok(final.includes(c), c);
  for (const c of ['ERR_PLUGIN_FAILED', 'ERR_WORKER_EXITED', 'ERR_TIMEOUT', 'ERR_JOB_INTERRUPTED', 'ERR_SPAWN']) {
    assert.ok(isRetryable(c), c);
  }
  // A code from a newer peer behaves as ERR_INTERNAL.
  assert.equal(isRetryable('ERR_FROM_THE_FUTURE'), isRetryable('ERR_INTERNAL'));
});

test("hints fill their {fields} from the error's data, and name the field when it is absent", () => {
  assert.equal(
    hintOf({ code: 'ERR_PLUGIN_DISABLED', data: { name: 'thumb' } }),
    'turn it on with `bulkhead enable thumb`',
  );
  assert.equal(hintOf({ code: 'ERR_PLUGIN_DISABLED' }), 'turn it on with `bulkhead enable NAME`');
  assert.equal(hintOf({ code: 'ERR_TIMEOUT', data: { timeoutMs: 1, forced: false } }), undefined);
  assert.equal(behaviourOf('ERR_UNKNOWN_PLUGIN').exit, CLI_EXIT.NOT_FOUND);
  assert.equal(behaviourOf('ERR_USAGE').exit, CLI_EXIT.USAGE);
  assert.equal(behaviourOf('ERR_JOB_ID_AMBIGUOUS').exit, CLI_EXIT.USAGE);
});

test('isBulkheadError works across copies of the SDK (brand, not instanceof)', () => {
  const e = new BulkheadError('ERR_TIMEOUT', 't', { timeoutMs: 1, forced: false });
  const clone = Object.assign(Object.create(Error.prototype), { code: 'ERR_TIMEOUT' });
  Object.defineProperty(clone, Symbol.for('bulkhead.error'), { value: true });
  assert.ok(isBulkheadError(e, 'ERR_TIMEOUT'));
  assert.ok(isBulkheadError(clone, 'ERR_TIMEOUT'));
  assert.ok(!isBulkheadError(new Error('x')));
  assert.ok(!isBulkheadError(e, 'ERR_CANCELLED'));
});

test('toBulkheadError keeps the original as cause; wire errors round trip', () => {
  const original = new TypeError('bad');
  const e = toBulkheadError(original);
  assert.equal(e.code, 'ERR_INTERNAL');
  assert.equal(e.cause, original);
  const wire = JSON.parse(JSON.stringify(new BulkheadError('ERR_CONFIG_INVALID', 'no', { issues: [] })));
  assert.deepEqual(wire, { code: 'ERR_CONFIG_INVALID', message: 'no', data: { issues: [] } });
  assert.equal(errorFromWire(wire).code, 'ERR_CONFIG_INVALID');
  assert.equal(errorFromWire({ code: 'ERR_FROM_THE_FUTURE', message: 'm' }).code, 'ERR_INTERNAL');
});

test('definePlugin refuses malformed definitions with ERR_PLUGIN_INVALID', () => {
  const bad: [unknown, RegExp][] = [
    [{ name: 'Bad Name', version: '1', execute() {} }, /lower-case name/],
    [{ name: 'ok', version: '', execute() {} }, /version/],
    [{ name: 'ok', version: '1' }, /execute.*stream/],
    [{ name: 'ok', version: '1', execute: 3 }, /"execute" must be a function/],
    [
      { name: 'ok', version: '1', execute() {}, config: 'size: number' },
      /plugin "ok": "config" must be a zod 4 or zod 3 schema .* or a JSON Schema object .*; got string/,
    ],
    [{ name: 'ok', version: '1', execute() {}, config: { greeting: 'hi' } }, /"config" must be .*; got object/],
    [{ name: 'ok', version: '1', execute() {}, input: [1] }, /"input" must be .*; got an array/],
  ];
  for (const [def, pattern] of bad) {
    assert.throws(
      () => sdk.definePlugin(def as never),
      (e) => isBulkheadError(e, 'ERR_PLUGIN_INVALID') && pattern.test(e.message),
    );
  }
});
