/**
 * What the CLI prints when something goes wrong: one line saying what, one hint saying what to do,
 * and an exit code a script can branch on. Every error keeps a code of the registry, whose entry
 * (packages/sdk/src/errors/) gives the exit code and the hint unless the thrower knows better.
 * @module
 */
import { type BulkheadErrorCode, behaviourOf, type CliExitCode, hintOf, isBulkheadError } from '@bulkhead/sdk/errors';

export class CliError extends Error {
  override name = 'CliError';
  readonly code: BulkheadErrorCode;
  readonly exitCode: CliExitCode;
  readonly hint: string | undefined;
  /** The code's `data` (docs/errors.md), printed with `--json`. */
  readonly data: unknown;

  /** `hint` and `exitCode` default to the code's own (its registry entry). */
  constructor(
    code: BulkheadErrorCode,
    message: string,
    options: { hint?: string; exitCode?: CliExitCode; data?: unknown } = {},
  ) {
    super(message);
    this.code = code;
    this.exitCode = options.exitCode ?? behaviourOf(code).exit;
    this.hint = options.hint ?? hintOf({ code, data: options.data });
    this.data = options.data;
  }
}

export function usage(message: string, hint?: string): CliError {
  return new CliError('ERR_USAGE', message, hint === undefined ? {} : { hint });
}

/** Any error as the CLI reports it. */
export function toCliError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  if (isBulkheadError(e)) {
    return new CliError(e.code, e.message, { data: e.data });
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EACCES' || err?.code === 'EPERM') {
    return new CliError('ERR_FILE_ACCESS', err.message, { data: { file: err.path, errno: err.code } });
  }
  return new CliError('ERR_INTERNAL', e instanceof Error ? e.message : String(e));
}
