/**
 * One plugin's lane on a host: a BullMQ Worker with no processor, from which the host takes jobs
 * by hand (`getNextJob`), one at a time and only after its scheduler has reserved what the job
 * needs, so a host never holds a job it cannot run while another host could. Each plugin has its
 * own BullMQ queue (`<prefix>:q:<plugin>`), which is what routes a job to the hosts that have its
 * plugin. The worker also runs BullMQ's stalled-job check: a job whose host stopped renewing its
 * lock (killed, cut off) goes back to waiting, for any host to take.
 * @module
 */
import { type Job, type JobJson, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PluginRunner } from '../plugin-runner.js';

export interface LaneTiming {
  /** A taken job's lock lasts this long unless renewed. */
  lockDurationMs: number;
  /** How often locks are checked for expiry (a lost job is found within about twice this). */
  stalledIntervalMs: number;
}

/** A manual-fetch Worker that can also make a Job of what `moveToCompleted(…, fetchNext)` returned. */
class LaneWorker extends Worker {
  jobFrom(raw: unknown, token: string): Promise<Job | undefined> {
    if (!Array.isArray(raw) || !raw[0]) return Promise.resolve(undefined);
    return this.nextJobFromJobData(raw[0] as JobJson, raw[1] as string, token);
  }
}

export class PluginLane {
  readonly plugin: string;
  readonly worker: LaneWorker;
  /** Jobs of this lane running on this host. */
  running = 0;
  /** Cleared when a take finds nothing; set again by a submit, a poll, or a finished job. */
  mayHaveWork = true;
  /** One take at a time per lane. */
  taking = false;

  constructor(plugin: string, connection: Redis, prefix: string, timing: LaneTiming, onError: (e: Error) => void) {
    this.plugin = plugin;
    this.worker = new LaneWorker(laneName(plugin), null, {
      connection,
      prefix: `${prefix}:q`,
      autorun: false,
      lockDuration: timing.lockDurationMs,
      stalledInterval: timing.stalledIntervalMs,
      // A stalled job always goes back to waiting: whether it has attempts left is Bulkhead's
      // rule (the host that takes it next reads the record and fails it as interrupted if not).
      maxStalledCount: 1_000_000,
    });
    this.worker.on('error', onError);
    void this.worker.startStalledCheckTimer().catch(onError);
  }

  /** Takes the next job of this plugin now, or undefined when none waits. Never blocks. */
  take(token: string): Promise<Job | undefined> {
    return this.worker.getNextJob(token, { block: false });
  }

  /** The job BullMQ handed over with a completion (`fetchNext`), locked with the same token; undefined if none. */
  next(raw: unknown, token: string): Promise<Job | undefined> {
    return this.worker.jobFrom(raw, token);
  }

  async close(): Promise<void> {
    await this.worker.close(true);
  }
}

/** The BullMQ queue name of a plugin: its name (BullMQ forbids ':' in names; plugin names have none). */
export function laneName(plugin: string): string {
  return plugin.replaceAll(':', '_');
}

/**
 * The plugins this host can run, each with a lane. A `PluginManager` lists them; a runner that
 * cannot list its plugins (a bare PluginRunner) runs nothing here, and submits and watches only.
 */
export function pluginsOf(runner: PluginRunner): { name: string; enabled: boolean }[] {
  const list = (runner as { list?: () => { name: string; enabled: boolean }[] }).list;
  return typeof list === 'function' ? list.call(runner) : [];
}
