/**
 * CPU and memory of a whole process group, read from /proc on Linux. A worker leads its own group,
 * so its group is the plugin plus every helper it started (a Python subprocess, ffmpeg): summing
 * the group is what the plugin really costs. Elsewhere there is no /proc and every answer is
 * undefined.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { readProcStat, ticksToMs } from '../util/proc-stat.js';

/** What one process group holds at one moment. */
export interface GroupSample {
  /** The live members, ascending. */
  pids: number[];
  /**
   * User + system CPU time of the members, plus what the children they reaped used (so a helper
   * that exits does not make the total drop), in milliseconds. It can still drop when a member
   * leaves the group; clamp deltas at 0.
   */
  cpuMs: number;
  /** Resident memory summed over the members (shared pages are counted once per process). */
  rssBytes: number;
  /** performance.now() when taken, as in `ProcSample`, so `cpuPercent(prev, next)` applies. */
  at: number;
}

/**
 * One sample of the group `pgid`, or undefined if it has no live member (or this is not Linux).
 * Reads every /proc/<pid>/stat once; sampling many groups, use {@link sampleGroups}, which scans once.
 *
 * @example
 * const before = await sampleGroup(proc.pid);
 * // … a second later
 * const after = await sampleGroup(proc.pid);
 * if (before && after) console.log(cpuPercent(before, after), after.rssBytes);
 */
export async function sampleGroup(pgid: number): Promise<GroupSample | undefined> {
  return (await sampleGroups([pgid])).get(pgid);
}

/**
 * Samples of several groups from one scan of /proc; a group with no live member is absent.
 *
 * @example
 * const samples = await sampleGroups(workers.map((w) => w.pid));
 */
export async function sampleGroups(pgids: Iterable<number>): Promise<Map<number, GroupSample>> {
  const wanted = new Set(pgids);
  const found = new Map<number, GroupSample>();
  if (process.platform !== 'linux' || wanted.size === 0) return found;
  const pageSize = systemPageSize();
  const at = performance.now();
  // Synchronous on purpose (util/proc-stat.ts): for ~80 processes ~0.5 ms, against 2.5 ms with
  // callbacks and 5 ms with fs/promises.
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(name);
    if (stat === undefined) continue;
    const pgid = stat.pgid;
    if (!wanted.has(pgid)) continue;
    let sample = found.get(pgid);
    if (sample === undefined) found.set(pgid, (sample = { pids: [], cpuMs: 0, rssBytes: 0, at }));
    sample.cpuMs += ticksToMs(stat.cpuTicks + stat.childCpuTicks);
    // A zombie has exited: its CPU time counts until its parent reaps it (and takes it over as
    // child time), but it holds no memory and is no longer a member anyone could signal.
    if (stat.state === 'Z' || stat.state === 'X') continue;
    sample.pids.push(Number(name));
    sample.rssBytes += stat.rssPages * pageSize;
  }
  for (const [pgid, sample] of found) {
    if (sample.pids.length === 0) found.delete(pgid);
    else sample.pids.sort((a, b) => a - b);
  }
  return found;
}

let pageSize: number | undefined;

/**
 * The kernel's page size, in which /proc reports RSS. 4 KiB on x86, but 16 or 64 KiB on some arm64
 * and ppc64 kernels, so read it from the auxiliary vector (AT_PAGESZ) rather than assume.
 */
function systemPageSize(): number {
  if (pageSize !== undefined) return pageSize;
  pageSize = 4096;
  // auxv holds pairs of native unsigned longs; read only the 8-byte ones of 64-bit platforms.
  if (!/64$|^s390x$/.test(process.arch)) return pageSize;
  try {
    const auxv = readFileSync('/proc/self/auxv');
    const AT_PAGESZ = 6n;
    const little = endianness() === 'LE';
    for (let off = 0; off + 16 <= auxv.length; off += 16) {
      const type = little ? auxv.readBigUInt64LE(off) : auxv.readBigUInt64BE(off);
      if (type !== AT_PAGESZ) continue;
      const value = Number(little ? auxv.readBigUInt64LE(off + 8) : auxv.readBigUInt64BE(off + 8));
      if (value >= 4096 && (value & (value - 1)) === 0) pageSize = value;
      break;
    }
  } catch {
    // keep 4096
  }
  return pageSize;
}
