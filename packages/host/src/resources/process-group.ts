/**
 * CPU and memory of a whole process group, read from /proc on Linux. A worker leads its own group,
 * so its group is the plugin plus every helper it started (a Python subprocess, ffmpeg): summing
 * the group is what the plugin really costs. Elsewhere there is no /proc and every answer is
 * undefined.
 * @module
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';

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

/** Clock ticks per second of the CPU times in /proc (USER_HZ, 100 on every Linux ABI). */
const USER_HZ = 100;

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
  // Synchronous on purpose: procfs reads are served from kernel memory and never wait on a disk,
  // and one thread doing them in a row is several times cheaper than as many thread-pool round
  // trips (for ~80 processes: ~0.5 ms, against 2.5 ms with callbacks and 5 ms with fs/promises).
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(readProc(`/proc/${name}/stat`));
    if (fields === undefined) continue;
    const pgid = Number(fields[2]);
    if (!wanted.has(pgid)) continue;
    let sample = found.get(pgid);
    if (sample === undefined) found.set(pgid, (sample = { pids: [], cpuMs: 0, rssBytes: 0, at }));
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    sample.cpuMs += (ticks * 1000) / USER_HZ;
    // A zombie has exited: its CPU time counts until its parent reaps it (and takes it over as
    // child time), but it holds no memory and is no longer a member anyone could signal.
    const state = fields[0];
    if (state === 'Z' || state === 'X') continue;
    sample.pids.push(Number(name));
    sample.rssBytes += Number(fields[21]) * pageSize;
  }
  for (const [pgid, sample] of found) {
    if (sample.pids.length === 0) found.delete(pgid);
    else sample.pids.sort((a, b) => a - b);
  }
  return found;
}

/**
 * When `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined if it is
 * gone or this is not Linux. Pids are reused, so compare this with the value taken at spawn before
 * signalling a pid remembered from earlier.
 *
 * @example
 * const started = await processStartTime(child.pid);
 * // … later
 * if ((await processStartTime(child.pid)) === started) process.kill(-child.pid, 'SIGTERM');
 */
export async function processStartTime(pid: number): Promise<number | undefined> {
  if (process.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const value = Number(statFields(stat)?.[19]);
  return Number.isFinite(value) ? value : undefined;
}

/** Fields of /proc/<pid>/stat from the 3rd (state) on: `fields[n - 3]` is field n of proc(5). */
function statFields(stat: string | undefined): string[] | undefined {
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  return fields.length >= 22 ? fields : undefined;
}

// One buffer for every read: a stat line is ~300 bytes, and skipping readFileSync's fstat and
// per-file allocation halves the cost of a scan.
const statBuffer = Buffer.alloc(4096);

function readProc(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined; // the process exited between the directory listing and the read
  }
  try {
    const length = readSync(fd, statBuffer, 0, statBuffer.length, 0);
    return statBuffer.toString('latin1', 0, length);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
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
