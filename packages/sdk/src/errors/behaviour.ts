/**
 * What a code means for whoever meets it (the queue, the CLI): the CLI's exit codes and the
 * behaviour every registered code carries.
 * @module
 */

/**
 * The CLI's exit codes (docs/cli.md). Scripts branch on these, so they never change meaning.
 * Each error code names the one it exits with.
 */
export const CLI_EXIT = {
  /** It worked. */
  OK: 0,
  /** It failed (an install, a check, an error from Bulkhead). */
  FAILURE: 1,
  /** The command line was wrong: an unknown command or option, a missing argument, bad JSON. */
  USAGE: 2,
  /** The job ran and failed. */
  JOB_FAILED: 3,
  /** The job was cancelled (by `jobs cancel`, or before it ran). */
  JOB_CANCELLED: 4,
  /** No plugin of that name is installed, or no job of that id exists. */
  NOT_FOUND: 5,
  /** Stopped by Ctrl-C (SIGINT); a job it was running was cancelled. */
  INTERRUPTED: 130,
} as const;

export type CliExitCode = (typeof CLI_EXIT)[keyof typeof CLI_EXIT];

/** What a code means for whoever meets it: the queue, the CLI. */
export interface ErrorBehaviour {
  /** A job that failed with it is run again while it has attempts left (nothing else retries). */
  readonly retryable: boolean;
  /** The exit code of the `bulkhead` command that ends with it. */
  readonly exit: CliExitCode;
  /**
   * What the CLI tells a person to do next; `{field}` is filled from the error's `data`
   * (`{name}` from `data.name`), or left as the field's name in capitals when absent.
   */
  readonly hint?: string;
}

/** One area's codes and their behaviour (the registry is the union of the areas' tables). */
export type CodeTable = Record<`ERR_${string}`, ErrorBehaviour>;

// The two common behaviours: a failure a retry may fix, and one it cannot (both exit 1).
export const retried = { retryable: true, exit: CLI_EXIT.FAILURE } as const;
export const final = { retryable: false, exit: CLI_EXIT.FAILURE } as const;
