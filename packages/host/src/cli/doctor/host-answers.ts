/**
 * The `control` check's second half: a host that owns the job database and runs is asked over its
 * control socket whether it answers. A stopped (SIGSTOP) or hung host holds the database while
 * every command that needs it waits on it; doctor says so, and what to do.
 * @module
 */
import { isBulkheadError } from '@bulkhead/sdk/errors';
import { connectControl } from '../../control/remote-client.js';
import { readProcStat } from '../../util/proc-stat.js';
import { type DoctorContext, fail, firstLine, type Outcome, warn } from './check.js';

export async function checkHostAnswers(ctx: DoctorContext, owned: Outcome, pid: number): Promise<Outcome> {
  const timeoutMs = Math.min(ctx.timeoutMs, 3000);
  try {
    const client = await connectControl(ctx.home, { timeoutMs });
    if (client === null) return owned; // a store opened without a socket (an application's own): nothing to ask
    await client.close();
    return { ...owned, detail: `${owned.detail}; it answers on its control socket` };
  } catch (e) {
    if (!isBulkheadError(e, 'ERR_TIMEOUT')) {
      return warn(`${owned.detail}; its control socket: ${firstLine(e)}`, 'rerun doctor in a moment');
    }
    const stopped = readProcStat(pid)?.state === 'T';
    return fail(
      `the Bulkhead host (pid ${pid}) owns the job database but does not answer its control socket within ${timeoutMs} ms${stopped ? ': it is stopped (SIGSTOP)' : ': it is hung'}`,
      stopped ? `resume it (kill -CONT ${pid})` : `stop it (kill ${pid}); the next host recovers its jobs`,
    );
  }
}
