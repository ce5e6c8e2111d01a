/**
 * The first steps of a worker's launch: its process (spawned, or a prelaunched one taken over),
 * and its private file-handoff directory (docs/protocol.md 3.1), removed when it exits.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { BulkheadError } from '@bulkhead/sdk/errors';
import { Channel, type Message } from '@bulkhead/sdk/protocol';
import { createWorkerCgroup, type WorkerCgroup, type WorkerCgroupOptions } from './cgroup-memory.js';
import { makeHandoffDir } from './handoff-dir.js';
import { processStartTicks } from './kill-group.js';
import { spawnFailed } from './worker-errors.js';
import { killIfLingering } from './worker-exit.js';
import { type PrelaunchedWorker, spawnWorker, type WorkerSpawnSpec } from './worker-spawn.js';

/**
 * ERR_SPAWN when the process cannot be created at all. `prelaunched` is used up either way. With
 * `memoryCgroup`, a fresh worker joins it before it runs (cgroup-memory.ts); a prelaunched one is
 * moved in.
 */
export function spawnOrAdopt(
  spec: WorkerSpawnSpec,
  prelaunched: PrelaunchedWorker | undefined,
  memoryCgroup: WorkerCgroupOptions | undefined,
): {
  child: ChildProcess;
  /** The memory cgroup it runs in (with `memoryCgroup`): remove it once the worker exited. */
  cgroup: WorkerCgroup | undefined;
  /** When a prelaunched worker taken over was spawned (performance.now()); undefined for a fresh spawn. */
  prelaunchedAt: number | undefined;
  /** Its start time, so a kill never hits a process that reused its pid. */
  startTicks: number | undefined;
} {
  // A worker prelaunched from this very spec (see worker-spawn.ts) is taken over, not respawned.
  const early = prelaunched?.adopt(spec) ?? null;
  const cgroup = memoryCgroup && createWorkerCgroup(memoryCgroup);
  let child: ChildProcess;
  try {
    child = early?.child ?? spawnWorker(cgroup ? cgroup.wrap(spec) : spec);
  } catch (e) {
    cgroup?.remove();
    throw spawnFailed(e as Error, `worker ${spec.file}`);
  }
  if (early && cgroup && child.pid !== undefined) cgroup.adopt(child.pid);
  const startTicks = early ? early.startTicks : child.pid === undefined ? undefined : processStartTicks(child.pid);
  return { child, cgroup, prelaunchedAt: early?.spawnedAt, startTicks };
}

/**
 * The protocol channel on the worker's fd 3. A worker that closes it and lives on is killed
 * through `lingered` after a grace, while it is still `current`; a protocol violation kills it at once.
 */
export function openChannel(
  child: ChildProcess,
  maxFrameBytes: number,
  o: {
    onMessage(m: Message): void;
    kill(error: BulkheadError): void;
    current(): boolean;
    lingered(): BulkheadError;
  },
): Channel {
  return new Channel(child.stdio[3] as unknown as Socket, maxFrameBytes, {
    onMessage: o.onMessage,
    onProtocolError: o.kill,
    onClose: () => killIfLingering(child, o.current, () => o.kill(o.lingered())),
  });
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
