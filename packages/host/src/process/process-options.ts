/**
 * Checks a PluginProcess's options before anything is spawned: timeouts within what a timer takes,
 * sizes positive integers. ERR_INVALID_ARGUMENT names the option.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import { MAX_TIMER_MS } from './call-table.js';
import type { PluginProcessOptions } from './process-types.js';

export function validateOptions(o: PluginProcessOptions): void {
  const ms = ['handshakeTimeoutMs', 'cancelGraceMs', 'stopTimeoutMs'] as const;
  for (const k of ms) {
    const v = o[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= MAX_TIMER_MS)) {
      throw new BulkheadError(
        'ERR_INVALID_ARGUMENT',
        `The "${k}" option must be a number of ms from 0 to ${MAX_TIMER_MS} (got ${v})`,
      );
    }
  }
  const ints = ['streamWindow', 'logBufferLines', 'maxLogLineLength', 'maxFrameBytes'] as const;
  for (const k of ints) {
    const v = o[k];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) {
      throw new BulkheadError('ERR_INVALID_ARGUMENT', `The "${k}" option must be a positive integer (got ${v})`);
    }
  }
}
