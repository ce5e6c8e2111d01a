/**
 * A kernel-enforced memory limit per worker: a memory cgroup of its own, nested under the host's
 * own cgroup as `<own>/bulkhead-<hostpid>/<plugin>-<n>`, with the limit, the peak for the report
 * and the OOM-kill counter that tells an OOM kill apart from any other SIGKILL.
 *
 * - cgroup v2 (a writable unified hierarchy whose memory controller the host's cgroup hands to
 *   its children): `memory.max`, `memory.peak`, `memory.events` (`oom_kill`), `memory.oom.group`.
 * - cgroup v1 (a writable `memory` hierarchy): `memory.limit_in_bytes` (and `memsw` where swap is
 *   accounted), `memory.max_usage_in_bytes`, `memory.oom_control` (`oom_kill`), `memory.failcnt`.
 *
 * The worker is put in its cgroup before it runs a line of its own: it is spawned as
 * `sh -c 'echo $$ > <cgroup>/cgroup.procs && exec <worker>'`, so `exec` keeps the pid (and the
 * process group, and the cgroup) and every page Node or Python touches while starting is charged
 * to the worker's cgroup. Writing the pid after spawn() instead would race the worker's start
 * (~40 ms of allocation charged to the host). Only a prelaunched worker (spawned before the
 * manager knew its cgroup) is moved in after the fact; v1 moves its pages with it
 * (`memory.move_charge_at_immigrate`), v2 cannot.
 *
 * Everything here is synchronous and small (a few writes to cgroupfs), so a worker's cgroup exists
 * before its spawn and is read in the same tick as its exit.
 * @module
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { WorkerSpawnSpec } from './worker-spawn.js';

export type CgroupVersion = 1 | 2;

/** A writable memory hierarchy and the host's own cgroup in it. */
export interface MemoryHierarchy {
  version: CgroupVersion;
  /** The host's own cgroup directory (worker cgroups nest under `bulkhead-<pid>` here). */
  own: string;
}

/** Where to look: the real paths by default; tests point them elsewhere. */
export interface CgroupPaths {
  /** Default `/sys/fs/cgroup`. */
  root?: string;
  /** Default `/proc/self/cgroup`. */
  selfCgroup?: string;
}

/** The hierarchy of one version, or why it cannot be used here. */
export type Probe = { ok: true; hierarchy: MemoryHierarchy } | { ok: false; why: string };

const FILES = {
  1: { limit: 'memory.limit_in_bytes', peak: 'memory.max_usage_in_bytes', events: 'memory.oom_control' },
  2: { limit: 'memory.max', peak: 'memory.peak', events: 'memory.events' },
} as const;

/**
 * Whether per-worker memory cgroups of `version` work here: the host's cgroup is found, and a
 * child cgroup can be made with a memory limit in it (a real mkdir and rmdir, so a read-only
 * mount, a missing controller or a lack of rights all say no, with the reason).
 */
export function probeMemoryHierarchy(version: CgroupVersion, paths: CgroupPaths = {}): Probe {
  const root = paths.root ?? '/sys/fs/cgroup';
  let lines: string[];
  try {
    lines = readFileSync(paths.selfCgroup ?? '/proc/self/cgroup', 'utf8').split('\n');
  } catch {
    return { ok: false, why: 'no /proc/self/cgroup (not Linux)' };
  }
  let own: string;
  if (version === 2) {
    const path = lines.find((l) => l.startsWith('0::'))?.slice(3);
    // A pure v2 machine mounts it at the root; a hybrid one at `unified`.
    const mount = [root, join(root, 'unified')].find((d) => existsSync(join(d, 'cgroup.controllers')));
    if (path === undefined || mount === undefined) return { ok: false, why: `no cgroup v2 hierarchy at ${root}` };
    const controllers = readFileSync(join(mount, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (!controllers.includes('memory')) return { ok: false, why: `cgroup v2 at ${mount} has no memory controller` };
    own = join(mount, path);
  } else {
    const path = lines.map((l) => l.split(':')).find((f) => f[1]?.split(',').includes('memory'))?.[2];
    const mount = join(root, 'memory');
    if (path === undefined || !existsSync(join(mount, FILES[1].limit)))
      return { ok: false, why: `no cgroup v1 memory hierarchy at ${mount}` };
    own = join(mount, path);
  }
  if (!existsSync(own)) return { ok: false, why: `this process's cgroup ${own} is not visible (a cgroup namespace)` };
  if (version === 2) {
    // Children get the memory controller only if their parent hands it down; a cgroup holding
    // processes cannot (the "no internal processes" rule), so the host's own must already do.
    const subtree = readOr(join(own, 'cgroup.subtree_control'), '').split(/\s+/);
    if (!subtree.includes('memory'))
      return { ok: false, why: `cgroup v2: ${own} does not delegate the memory controller to its children` };
  }
  const probe = join(own, `bulkhead-probe-${process.pid}`);
  try {
    mkdirSync(probe);
  } catch (e) {
    return { ok: false, why: `cannot make a cgroup under ${own} (${(e as NodeJS.ErrnoException).code})` };
  }
  try {
    const limit = join(probe, FILES[version].limit);
    if (!existsSync(limit)) return { ok: false, why: `a cgroup under ${own} has no ${FILES[version].limit}` };
    writeFileSync(limit, String(2 ** 30));
    return { ok: true, hierarchy: { version, own } };
  } catch (e) {
    return { ok: false, why: `cannot set a memory limit under ${own} (${(e as NodeJS.ErrnoException).code})` };
  } finally {
    rmdirQuiet(probe);
  }
}

/** How one worker is limited: the hierarchy, the limit, and a name for its cgroup. */
export interface WorkerCgroupOptions {
  hierarchy: MemoryHierarchy;
  limitMB: number;
  /** The plugin's name; made safe for a directory name. */
  name: string;
}

let sequence = 0;
/** Hierarchies whose stale cgroups this process already swept. */
const swept = new Set<string>();
/** Worker cgroups of this process not yet removed (its `bulkhead-<pid>` goes with the last one). */
const live = new Set<string>();

/** The directory under which this host's worker cgroups live. */
export function hostCgroupDir(hierarchy: MemoryHierarchy, pid = process.pid): string {
  return join(hierarchy.own, `bulkhead-${pid}`);
}

/** One worker's memory cgroup, made by {@link createWorkerCgroup}. */
export class WorkerCgroup {
  readonly dir: string;
  readonly version: CgroupVersion;
  readonly limitMB: number;

  constructor(dir: string, version: CgroupVersion, limitMB: number) {
    this.dir = dir;
    this.version = version;
    this.limitMB = limitMB;
  }

  /**
   * The spawn that joins this cgroup and then execs the worker, same pid, same group. A worker
   * executable that is not there throws ENOENT here, as a plain spawn would report it (through
   * the shell it would be an exit 127 instead).
   */
  wrap(spec: WorkerSpawnSpec): WorkerSpawnSpec {
    if (!findExecutable(spec.file, spec.env.PATH))
      throw Object.assign(new Error(`spawn ${spec.file} ENOENT`), { code: 'ENOENT', path: spec.file });
    const join = 'echo $$ > "$0" && exec "$@"';
    return { ...spec, file: '/bin/sh', args: ['-c', join, this.#file('cgroup.procs'), spec.file, ...spec.args] };
  }

  /** Moves a running process in (a prelaunched worker). False when that failed. */
  adopt(pid: number): boolean {
    try {
      writeFileSync(this.#file('cgroup.procs'), String(pid));
      return true;
    } catch {
      return false;
    }
  }

  /** The most memory its processes held at once, in MiB (null where the kernel does not say). */
  peakMB(): number | null {
    const bytes = Number(readOr(this.#file(FILES[this.version].peak), 'x'));
    return Number.isFinite(bytes) ? Math.round(bytes / 2 ** 20) : null;
  }

  /** How many of its processes the kernel's OOM killer ended (v1 before 4.13 has no counter: failcnt). */
  oomKills(): number {
    const events = readOr(this.#file(FILES[this.version].events), '');
    const m = /^oom_kill (\d+)$/m.exec(events);
    if (m) return Number(m[1]);
    return this.version === 1 && Number(readOr(this.#file('memory.failcnt'), '0')) > 0 ? 1 : 0;
  }

  /**
   * Removes the cgroup once its processes are gone; while a straggler is still exiting (EBUSY) it
   * is retried for ~10 s, then left to the next host's sweep. Idempotent.
   */
  remove(): void {
    tryRemove(this.dir, 100);
  }

  #file(name: string): string {
    return join(this.dir, name);
  }
}

/**
 * Makes a worker's cgroup with its limit set; the first one of this process also sweeps what
 * dead hosts left. ERR_SPAWN (the fs error as its cause) when the hierarchy refuses.
 */
export function createWorkerCgroup(o: WorkerCgroupOptions): WorkerCgroup {
  if (!swept.has(o.hierarchy.own)) {
    swept.add(o.hierarchy.own);
    sweepStaleCgroups(o.hierarchy);
  }
  const safe = o.name.replace(/[^A-Za-z0-9._-]/g, '_');
  const dir = join(hostCgroupDir(o.hierarchy), `${safe}-${++sequence}`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new BulkheadError(
      'ERR_SPAWN',
      `cannot make the worker's memory cgroup ${dir}: ${(e as Error).message}`,
      undefined,
      {
        cause: e,
      },
    );
  }
  live.add(dir);
  const cg = new WorkerCgroup(dir, o.hierarchy.version, o.limitMB);
  const bytes = String(Math.floor(o.limitMB * 2 ** 20));
  try {
    writeFileSync(join(dir, FILES[o.hierarchy.version].limit), bytes);
    if (o.hierarchy.version === 1) {
      // Where swap is accounted, the worker must not swap past its limit either (memsw ≥ limit).
      tryWrite(join(dir, 'memory.memsw.limit_in_bytes'), bytes);
      // A prelaunched worker moved in brings its pages along.
      tryWrite(join(dir, 'memory.move_charge_at_immigrate'), '3');
    } else {
      tryWrite(join(dir, 'memory.swap.max'), '0');
      // An OOM ends the whole worker, not one helper it started, as the watchdog does.
      tryWrite(join(dir, 'memory.oom.group'), '1');
    }
  } catch (e) {
    cg.remove();
    throw new BulkheadError(
      'ERR_SPAWN',
      `cannot set the memory limit of cgroup ${dir}: ${(e as Error).message}`,
      undefined,
      {
        cause: e,
      },
    );
  }
  return cg;
}

/**
 * ERR_WORKER_OOM when the kernel's OOM killer ended the worker in its cgroup (a SIGKILL and an
 * `oom_kill` counted there), with the limit and the cgroup's peak; null for any other death.
 */
export function cgroupOomError(
  cg: WorkerCgroup | undefined,
  exit: { exitCode: number | null; signal: string | null; stderrTail: string[] },
): BulkheadError<'ERR_WORKER_OOM'> | null {
  if (cg === undefined || exit.signal !== 'SIGKILL' || cg.oomKills() === 0) return null;
  const peakMB = cg.peakMB();
  const peak = peakMB === null ? '' : `, peak ${peakMB} MB`;
  return new BulkheadError(
    'ERR_WORKER_OOM',
    `worker killed by the kernel at its memory limit of ${cg.limitMB} MB (limits.memoryMB, cgroup v${cg.version}${peak})`,
    { limitMB: cg.limitMB, peakMB, ...exit },
  );
}

/**
 * Removes what hosts that are gone left under `own`: their `bulkhead-<pid>` directories and every
 * empty worker cgroup in them (one still holding a live process stays). Returns what it removed.
 */
export function sweepStaleCgroups(hierarchy: MemoryHierarchy, alive = pidAlive): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(hierarchy.own);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const m = /^bulkhead-(\d+)$/.exec(entry);
    if (m === null || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    const dir = join(hierarchy.own, entry);
    for (const child of safeReaddir(dir)) {
      const sub = join(dir, child);
      if (existsSync(join(sub, 'cgroup.procs')) && rmdirQuiet(sub)) removed.push(sub);
    }
    if (rmdirQuiet(dir)) removed.push(dir);
  }
  return removed;
}

function tryRemove(dir: string, triesLeft: number): void {
  if (!existsSync(dir) || rmdirQuiet(dir)) {
    forget(dir);
    return;
  }
  // EBUSY: a process of it (a helper of the worker, killed with its group) is still on its way out.
  if (triesLeft > 0) setTimeout(() => tryRemove(dir, triesLeft - 1), 100).unref();
}

function forget(dir: string): void {
  if (!live.delete(dir)) return;
  const parent = join(dir, '..');
  // The host's own directory goes with its last worker cgroup, so a host leaves nothing behind.
  if (![...live].some((d) => d.startsWith(`${parent}/`))) rmdirQuiet(parent);
}

function rmdirQuiet(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

function tryWrite(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch {
    // Optional knobs: absent on this kernel or configuration.
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

/** Whether `file` (a path, or a name looked up on `path` as exec does) is an executable file. */
function findExecutable(file: string, path: string | undefined): boolean {
  const candidates = file.includes('/') ? [file] : (path ?? '').split(':').map((d) => join(d || '.', file));
  return candidates.some((c) => {
    try {
      accessSync(c, constants.X_OK);
      return statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
