import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isBulkheadError } from 'bulkhead';
import { z } from 'zod';
import { applyDefaults, validateAgainstSchema } from '../manifest-helpers.js';

describe('config validation', () => {
  const schema = {
    type: 'object',
    properties: {
      model: { type: 'string' },
      greeting: { type: 'string', default: 'Hello' },
      repeat: { type: 'integer', minimum: 1, default: 1 },
      mode: { enum: ['fast', 'accurate'], default: 'fast' },
      label: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      server: {
        type: 'object',
        default: {},
        properties: { host: { type: 'string', default: 'localhost' }, port: { type: 'integer', default: 8080 } },
        required: ['host'],
        additionalProperties: false,
      },
      proxy: { type: 'object', properties: { url: { type: 'string' }, retries: { type: 'integer', default: 3 } } },
    },
    required: ['model'],
    additionalProperties: false,
  };

  test('every failing field is listed, nested ones with a dotted path', () => {
    const value = {
      greeting: 1,
      repeat: 0,
      mode: 'slow',
      label: 3,
      server: { port: 'x', hots: 'example.com' },
      extra: true,
    };
    assert.deepEqual(validateAgainstSchema(schema, value), [
      { path: 'model', message: 'is required' },
      { path: 'extra', message: 'unknown field' },
      { path: 'greeting', message: 'must be string' },
      { path: 'repeat', message: 'must be >= 1' },
      { path: 'mode', message: 'must be one of "fast", "accurate"' },
      { path: 'label', message: 'must be string or null' },
      { path: 'server.host', message: 'is required' },
      { path: 'server.hots', message: 'unknown field (did you mean "host"?)' },
      { path: 'server.port', message: 'must be integer' },
    ]);
    assert.deepEqual(validateAgainstSchema(schema, { model: 'm', server: { host: 'h' } }), []);
    assert.deepEqual(validateAgainstSchema(schema, 'nope'), [{ path: '', message: 'must be object' }]);
  });

  test('applyDefaults fills top-level and nested defaults in a copy; an absent object without a default stays absent', () => {
    const value = { model: 'm', proxy: { url: 'http://p' } };
    const filled = applyDefaults(schema, value);
    assert.deepEqual(filled, {
      model: 'm',
      greeting: 'Hello',
      repeat: 1,
      mode: 'fast',
      server: { host: 'localhost', port: 8080 },
      proxy: { url: 'http://p', retries: 3 },
    });
    assert.deepEqual(value, { model: 'm', proxy: { url: 'http://p' } }, 'the input is not changed');
    assert.deepEqual(applyDefaults(schema, { server: { host: 'h' } }).server, { host: 'h', port: 8080 });
    assert.deepEqual(applyDefaults(schema), {
      greeting: 'Hello',
      repeat: 1,
      mode: 'fast',
      server: { host: 'localhost', port: 8080 },
    });
  });

  test('works with the schema zod writes for a plugin config (the handshake) and with draft-07 schemas', () => {
    const fromZod = z.toJSONSchema(
      z.object({
        prefix: z.string().default('>'),
        repeat: z.number().int().min(1).default(1),
        tags: z.array(z.string()).optional(),
      }),
      { io: 'input' },
    );
    assert.deepEqual(applyDefaults(fromZod, {}), { prefix: '>', repeat: 1 });
    assert.deepEqual(validateAgainstSchema(fromZod, { repeat: 0, tags: ['a', 2] }), [
      { path: 'repeat', message: 'must be >= 1' },
      { path: 'tags.1', message: 'must be string' },
    ]);
    const draft07 = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { size: { type: 'array', items: [{ type: 'number' }, { type: 'number' }] } },
    };
    assert.deepEqual(validateAgainstSchema(draft07, { size: [1, 'x'] }), [
      { path: 'size.1', message: 'must be number' },
    ]);
  });

  test('a schema that is not a JSON Schema is ERR_INVALID_ARGUMENT', () => {
    assert.throws(
      () => validateAgainstSchema({ type: 'nope' }, {}),
      (e: unknown) => isBulkheadError(e, 'ERR_INVALID_ARGUMENT'),
    );
  });
});
