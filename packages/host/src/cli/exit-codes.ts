/**
 * The CLI's exit codes (docs/cli.md). Scripts branch on these, so they never change meaning.
 * @module
 */
export const EXIT = {
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

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
