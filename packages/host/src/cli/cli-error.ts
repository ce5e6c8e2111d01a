/**
 * What the CLI prints when something goes wrong: one line saying what, one hint saying what to do,
 * and an exit code a script can branch on. Errors from Bulkhead keep their stable code.
 * @module
 */
import { isBulkheadError } from '@bulkhead/sdk/errors';
import { EXIT, type ExitCode } from './exit-codes.js';

export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly code: string | undefined;

  constructor(message: string, exitCode: ExitCode = EXIT.FAILURE, hint?: string, code?: string) {
    super(message);
    this.exitCode = exitCode;
    this.hint = hint;
    this.code = code;
  }
}

export function usage(message: string, hint?: string): CliError {
  return new CliError(message, EXIT.USAGE, hint, 'ERR_USAGE');
}

/** Any error as the CLI reports it. */
export function toCliError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  if (isBulkheadError(e)) {
    const data = e.data as Record<string, unknown> | undefined;
    switch (e.code) {
      case 'ERR_UNKNOWN_PLUGIN':
        return new CliError(e.message, EXIT.NOT_FOUND, 'see what is installed with `bulkhead list`', e.code);
      case 'ERR_JOB_NOT_FOUND':
        return new CliError(e.message, EXIT.NOT_FOUND, 'see recent jobs with `bulkhead jobs`', e.code);
      case 'ERR_PLUGIN_DISABLED':
        return new CliError(
          e.message,
          EXIT.FAILURE,
          `turn it on with \`bulkhead enable ${data?.name ?? 'NAME'}\``,
          e.code,
        );
      case 'ERR_PLUGIN_UNAVAILABLE':
        return new CliError(e.message, EXIT.FAILURE, 'see why with `bulkhead logs NAME`', e.code);
      case 'ERR_STORE_UNAVAILABLE':
      case 'ERR_REDIS_UNAVAILABLE':
        return new CliError(e.message, EXIT.FAILURE, 'run `bulkhead doctor`', e.code);
      case 'ERR_CONFIG_INVALID':
        // The home's config.yaml (or a variable or flag over it): bad usage, like a bad plugins.yaml.
        if (typeof data?.file === 'string' && data.file.endsWith('config.yaml')) {
          return new CliError(
            e.message,
            EXIT.USAGE,
            'fix it (docs/cli.md, "Host settings", lists every setting and its variable)',
            e.code,
          );
        }
        return new CliError(e.message, EXIT.FAILURE, undefined, e.code);
      case 'ERR_JOB_ID_AMBIGUOUS':
        return new CliError(e.message, EXIT.USAGE, 'give more of the id', e.code);
      case 'ERR_INSUFFICIENT_RESOURCES':
        return new CliError(e.message, EXIT.FAILURE, "free resources, or lower the plugin's declared needs", e.code);
      default:
        return new CliError(e.message, EXIT.FAILURE, undefined, e.code);
    }
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EACCES' || err?.code === 'EPERM') {
    return new CliError(
      err.message,
      EXIT.FAILURE,
      'check the permissions of BULKHEAD_HOME (`bulkhead doctor`)',
      err.code,
    );
  }
  return new CliError(e instanceof Error ? e.message : String(e), EXIT.FAILURE, 'run again with --verbose for details');
}
