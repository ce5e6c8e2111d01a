/**
 * The codes of the job queue and its stores (SQLite, Redis), and of reaching the host that owns them.
 * @module
 */
import { CLI_EXIT, type CodeTable, final, retried } from './behaviour.js';

export const QUEUE_CODES = {
  /** The job queue was stopped; it takes no new work. */
  ERR_QUEUE_CLOSED: retried,
  /** No job with that id. */
  ERR_JOB_NOT_FOUND: { retryable: false, exit: CLI_EXIT.NOT_FOUND, hint: 'see recent jobs with `bulkhead jobs`' },
  /** A job id prefix that starts the ids of several jobs. */
  ERR_JOB_ID_AMBIGUOUS: { retryable: false, exit: CLI_EXIT.USAGE, hint: 'give more of the id' },
  /** A job's input breaks the plugin's declared input schema. */
  ERR_INPUT_INVALID: final,
  /** The job was running when its host died, and no attempts were left to retry it. */
  ERR_JOB_INTERRUPTED: retried,
  /** The job store cannot be used: a corrupt or locked database, an unreachable server. */
  ERR_STORE_UNAVAILABLE: { ...retried, hint: 'run `bulkhead doctor`' },
  /** The Redis server of a scaled-out queue cannot be reached (at start, or while it reconnects). */
  ERR_REDIS_UNAVAILABLE: { ...retried, hint: 'run `bulkhead doctor`' },
  /** The Bulkhead process that owned the job database (reached through its control socket) went away. */
  ERR_HOST_GONE: retried,
} as const satisfies CodeTable;
