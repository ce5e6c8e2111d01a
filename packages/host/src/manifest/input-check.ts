/**
 * The one check of a call's input against its plugin's declared `inputSchema`, for every way in:
 * a submitted job (queue/submit-checks.ts) and a direct stream (PluginManager.stream).
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import { describeIssues, validateAgainstSchema } from './config-validator.js';

/** ERR_INPUT_INVALID naming every failing field; a plugin without a schema takes any input. */
export function checkInput(plugin: string, schema: Record<string, unknown> | null, input: unknown): void {
  if (!schema) return;
  const issues = validateAgainstSchema(schema, input);
  if (issues.length > 0) {
    const list = describeIssues(issues);
    throw new BulkheadError('ERR_INPUT_INVALID', `input for plugin "${plugin}" is invalid: ${list}`, { issues });
  }
}
