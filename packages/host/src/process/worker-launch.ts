/**
 * The first steps of a worker's launch: its process (spawned, or a prelaunched one taken over),
 * and its private file-handoff directory (docs/protocol.md 3.1), removed when it exits.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { Channel } from '@bulkhead/sdk/protocol';
import type { WorkerCgroup } from './cgroup-memory.js';
import { makeHandoffDir } from './handoff-dir.js';
import { processStartTicks } from './kill-group.js';
import { type PrelaunchedWorker, spawnWorker, type WorkerSpawnSpec } from './worker-spawn.js';

/**
 * ERR_SPAWN when the process cannot be created at all. `prelaunched` is used up either way. With
 * a `cgroup`, a fresh worker joins it before it runs (cgroup-memory.ts); a prelaunched one is
 * moved in.
 */
export function spawnOrAdopt(
  spec: WorkerSpawnSpec,
  prelaunched: PrelaunchedWorker | undefined,
  cgroup?: WorkerCgroup,
): {
  child: ChildProcess;
  /** When a prelaunched worker taken over was spawned (performance.now()); undefined for a fresh spawn. */
  prelaunchedAt: number | undefined;
  /** Its start time, so a kill never hits a process that reused its pid. */
  startTicks: number | undefined;
} {
  // A worker prelaunched from this very spec (see worker-spawn.ts) is taken over, not respawned.
  const early = prelaunched?.adopt(spec) ?? null;
  let child: ChildProcess;
  try {
    child = early?.child ?? spawnWorker(cgroup ? cgroup.wrap(spec) : spec);
  } catch (e) {
    cgroup?.remove();
    throw new BulkheadError('ERR_SPAWN', `cannot start worker ${spec.file}: ${(e as Error).message}`, undefined, {
      cause: e,
    });
  }
  if (early && cgroup && child.pid !== undefined) cgroup.adopt(child.pid);
  const startTicks = early ? early.startTicks : child.pid === undefined ? undefined : processStartTicks(child.pid);
  return { child, prelaunchedAt: early?.spawnedAt, startTicks };
}

/**
 * Makes the worker's handoff directory (none when `handoffBytes` is false) and lets the channel
 * receive files through it; sending waits until the worker says it reads them.
 */
export function attachHandoff(
  child: ChildProcess,
  channel: Channel,
  handoffBytes: number | false,
): { dir: string; minBytes: number } | undefined {
  if (handoffBytes === false) return undefined;
  const handoff = makeHandoffDir();
  channel.handoff = { receive: handoff.dir };
  child.once('exit', handoff.dispose);
  child.once('error', () => {
    if (child.pid === undefined) handoff.dispose();
  });
  return { dir: handoff.dir, minBytes: handoffBytes };
}
