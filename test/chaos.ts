/**
 * `npm run chaos`: a stream of jobs through a real host process while faults are injected at
 * random (seeded): kill -9 of a worker, SIGSTOP of a busy worker (the hang detector's case),
 * kill -9 of the host itself (a new host takes over and recovers), log floods, and a filling disk
 * (the home, with the queue database, on a small tmpfs of its own, filled to the last byte and
 * freed again while jobs run; skipped, with the reason, where tmpfs cannot be mounted: it needs
 * root). At the end every job is accounted for: submitted / completed / retried / failed, and the
 * numbers that must be 0: lost, run more often than its attempts, orphan workers, host crashes
 * (exits nobody caused).
 * test/chaos.test.ts runs it small; `npm run chaos -- 2000 60` runs 2,000 jobs with 60 faults.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isRunning, repoRoot, tempDir } from './helpers.js';
import { pluginDir, tempHome } from './manager-helpers.js';

type Control = typeof import('../packages/host/src/control/index.js');
const control: Control = await import(
  pathToFileURL(join(repoRoot, 'packages', 'host', 'dist', 'control', 'index.js')).href
);
type Client = NonNullable<Awaited<ReturnType<Control['connectControl']>>>;

export interface ChaosReport {
  jobs: number;
  faults: Record<string, number>;
  /** Faults due while the disk was full and still owed when the jobs ran out (not injected). */
  faultsNotRun: number;
  submitted: number;
  completed: number;
  retried: number;
  failed: number;
  lost: number;
  runTwiceBeyondPolicy: number;
  orphans: number;
  hostCrashes: number;
  disk: DiskReport;
  ms: number;
}

/** The filling-disk fault: how often the disk was full, and what the host did meanwhile. */
export interface DiskReport {
  /** `tmpfs N MiB`, or `skipped: why` (no disk fault ran). */
  mode: string;
  /** Times the disk was filled to the last byte (and freed again). */
  full: number;
  /** Submits refused because the disk was full, by code (`ERR_STORE_UNAVAILABLE/disk-full`, `ERR_DISK_FULL`). */
  refused: Record<string, number>;
  /** Finished jobs whose outcome the host held in memory while the disk was full. */
  held: number;
  /** Of those, the jobs whose outcome is in the store at the end (written once there was room, or rerun). */
  heldWritten: number;
}

/** The home's disk: room for a long run's queue database and the floods' rotated logs (30 MB). */
const DISK_MB = 256;
/** Faults between two disk faults, after the first (the middle one). */
const DISK_EVERY = 20;
/** The most submits a full disk lasts. */
const FULL_FOR = 300;

/** Mounts a tmpfs of `sizeMB` on `dir` (root only); the reason it cannot, or null once mounted. */
function mountSmallDisk(dir: string, sizeMB: number): string | null {
  if (process.platform !== 'linux') return 'tmpfs is Linux only';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMB}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) return null;
  return `cannot mount a tmpfs here (${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]}): it needs root`;
}

/** Writes `file` until the file system has no byte left (ENOSPC), then leaves it in place. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'a');
  try {
    for (const size of [1 << 20, 4096, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A refusal because the disk is full, as its code (ERR_DISK_FULL), else null. */
function diskRefusal(e: unknown): string | null {
  const { code } = (e ?? {}) as { code?: string };
  return code === 'ERR_DISK_FULL' ? code : null;
}

/** A small deterministic PRNG (mulberry32), so a run can be repeated with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOST = join(repoRoot, 'build', 'test', 'fixtures', 'chaos-host.js');

export async function runChaos(options: {
  jobs: number;
  faults: number;
  seed?: number;
  /** false: no filling-disk fault. Default: one where a tmpfs can be mounted. */
  disk?: boolean;
}): Promise<ChaosReport> {
  const t0 = performance.now();
  const random = prng(options.seed ?? 13);
  const dir = pluginDir([
    { name: 'journal', fixture: 'journal', concurrency: 2 },
    { name: 'flood', fixture: 'flood' },
  ]);
  const home = tempHome();
  // The disk fault needs the home (jobs.db, logs, the control socket) on a disk of its own.
  const diskSkip = options.disk === false ? 'skipped: not asked for' : mountSmallDisk(home, DISK_MB);
  const disk: DiskReport = {
    mode: diskSkip === null ? `tmpfs ${DISK_MB} MiB` : `skipped: ${diskSkip.replace(/^skipped: /, '')}`,
    full: 0,
    refused: {},
    held: 0,
    heldWritten: 0,
  };
  let mounted = diskSkip === null;
  const unmount = () => {
    if (mounted) spawnSync('umount', ['-l', home]);
    mounted = false;
  };
  // A run that throws midway must not leave its host running, nor its tmpfs mounted.
  const abandon = () => {
    (host as ChildProcess | null)?.kill('SIGKILL');
    unmount();
  };
  process.once('exit', abandon);
  const filler = join(home, 'filler');
  let fullFor = 0; // submits still to try while the disk is full
  let heldAtFill = 0;
  /** The flood faults' jobs (not journal jobs: no tag). */
  const floods: string[] = [];
  const held = new Set<string>();
  const freeDisk = () => {
    rmSync(filler, { force: true });
    fullFor = 0;
  };
  const journal = join(tempDir('bulkhead-chaos-'), 'journal.txt');
  writeFileSync(journal, '');
  const workers = new Set<number>();
  let hostCrashes = 0;
  let host: ChildProcess | null = null;
  let killedByUs = false;

  const startHost = async (): Promise<Client> => {
    killedByUs = false;
    const child = spawn(process.execPath, [HOST, dir, home], { stdio: ['ignore', 'pipe', 'ignore'] });
    host = child;
    child.once('exit', (code, signal) => {
      if (!killedByUs && !(code === 0 && signal === null)) hostCrashes++;
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d) => {
        out += d;
        // `held ID`: the host kept a finished job's outcome in memory (the disk was full).
        for (;;) {
          const nl = out.indexOf('\n');
          if (nl < 0) break;
          const line = out.slice(0, nl);
          out = out.slice(nl + 1);
          if (line === 'ready') resolve();
          else if (line.startsWith('held ')) held.add(line.slice(5));
        }
      });
      child.once('exit', () => reject(new Error('the chaos host exited before it was ready')));
    });
    const client = await control.connectControl(home);
    if (client === null) throw new Error('the chaos host serves no control socket');
    return client;
  };

  let client = await startHost();
  const ids = new Map<string, string>(); // tag → job id
  const faults = { 'kill-worker': 0, 'stop-worker': 0, 'kill-host': 0, flood: 0, 'disk-full': 0 };
  const faultEvery = Math.max(1, Math.floor(options.jobs / Math.max(1, options.faults)));
  // The middle fault is always the disk (where it can run), so a short run has one too; a long
  // run fills it again every DISK_EVERY faults after that.
  const diskFault = Math.floor(Math.max(1, options.faults) / 2);
  const isDiskFault = (n: number) => n >= diskFault && (n - diskFault) % DISK_EVERY === 0;
  let faultIndex = 0;
  let owed = 0;

  const noteWorkers = async () => {
    for (const p of await client.plugins().catch(() => [])) if (p.pid !== null) workers.add(p.pid);
  };
  for (let i = 0; i < options.jobs; i++) {
    const tag = `job-${i}`;
    const input = { tag, file: journal, ms: 5 + Math.floor(random() * 20) };
    for (let refusedHere = 0; ; ) {
      try {
        ids.set(tag, await client.submit('journal', input));
        break;
      } catch (e) {
        const refusal = diskRefusal(e);
        if (refusal === null) {
          client = await startHost(); // the host was killed between faults: take over, as the CLI does
          continue;
        }
        // Refused for the full disk, as it should be: the same job is submitted again, so it is not lost.
        disk.refused[refusal] = (disk.refused[refusal] ?? 0) + 1;
        refusedHere++;
        // Full long enough once a finished job's outcome was held, or after a few refusals.
        if (held.size > heldAtFill || refusedHere >= 10) freeDisk();
        // Full without the filler (the run outgrew the disk): say so rather than retry for ever.
        if (refusedHere >= 500) throw new Error(`the ${DISK_MB} MiB disk of the chaos home filled up by itself`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    // SQLite writes on into the WAL's free space on a full disk, so the fault may take a while to
    // bite: it lasts until an outcome is held (or a submit refused, above), or FULL_FOR submits.
    if (fullFor > 0 && (--fullFor === 0 || held.size > heldAtFill)) freeDisk();
    // While the disk is full no other fault comes (a host kill would free it before it bit): the
    // faults due meanwhile are owed, and come one a job once it has room again.
    const due = i % faultEvery === faultEvery - 1;
    if (fullFor > 0) {
      if (due) owed++;
      continue;
    }
    if (!due) {
      if (owed === 0) continue;
      owed--;
    }
    await noteWorkers();
    if (isDiskFault(faultIndex++) && diskSkip === null) {
      heldAtFill = held.size;
      fillDisk(filler);
      fullFor = FULL_FOR;
      disk.full++;
      faults['disk-full']++;
      continue;
    }
    const pick = random();
    // A worker fault needs a worker: give the journal plugin's a moment to be up (it starts on use).
    let pid: number | null = null;
    for (let tries = 0; pick < 0.55 && pid === null && tries < 100; tries++) {
      pid = (await client.plugins().catch(() => [])).find((p) => p.name === 'journal')?.pid ?? null;
      if (pid === null) await new Promise((r) => setTimeout(r, 20));
    }
    if (pid !== null) workers.add(pid);
    // The pid was read a moment ago: that worker may have died since (an earlier fault's, just
    // before). Then the fault is a flood instead, so every fault due is one injected.
    const signalled = (signal: NodeJS.Signals) => {
      try {
        process.kill(pid as number, signal);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
        throw e;
      }
    };
    if (pick < 0.35 && pid !== null && signalled('SIGKILL')) {
      faults['kill-worker']++;
    } else if (pick >= 0.35 && pick < 0.55 && pid !== null && signalled('SIGSTOP')) {
      faults['stop-worker']++;
    } else if (pick >= 0.55 && pick < 0.75) {
      killedByUs = true;
      (host as ChildProcess | null)?.kill('SIGKILL');
      await new Promise((r) => (host as ChildProcess).once('exit', r));
      // Killed on a full disk, the host loses the outcomes it held (their jobs run again within
      // their attempts); its successor starts with room (a start on a full disk: disk-full.test.ts).
      freeDisk();
      await client.close().catch(() => {});
      client = await startHost();
      faults['kill-host']++;
    } else {
      const id = await client.submit('flood', { megabytes: 2 }).catch(() => null);
      if (id !== null) floods.push(id);
      faults.flood++;
    }
  }
  freeDisk();
  // Every job to its end (a host killed last is replaced so someone runs them).
  const jobs = new Map<string, { status: string; attempts: number }>();
  for (const [tag, id] of ids) {
    for (;;) {
      try {
        const job = await client.watch(id, () => {});
        jobs.set(tag, { status: job.status, attempts: job.attempts });
        break;
      } catch {
        client = await startHost();
      }
    }
  }
  // The flood jobs too: the host may have held one's outcome for the full disk as well.
  const floodStatus = new Map<string, string>();
  for (const id of floods) {
    for (let tries = 0; tries < 3; tries++) {
      try {
        floodStatus.set(id, (await client.watch(id, () => {})).status);
        break;
      } catch {
        client = await startHost();
      }
    }
  }
  await noteWorkers();
  await client.close();
  killedByUs = true;
  const last = host as ChildProcess | null;
  if (last !== null && last.exitCode === null) {
    last.kill('SIGTERM');
    await new Promise((r) => last.once('exit', r));
  }
  unmount();
  process.off('exit', abandon);
  const tags = new Map([...ids].map(([tag, id]) => [id, tag]));
  disk.held = held.size;
  disk.heldWritten = [...held].filter((id) => {
    const status = jobs.get(tags.get(id) ?? '')?.status ?? floodStatus.get(id);
    return status === 'completed' || status === 'failed';
  }).length;
  const runs = new Map<string, number>();
  for (const tag of readFileSync(journal, 'utf8').split('\n')) if (tag) runs.set(tag, (runs.get(tag) ?? 0) + 1);
  const values = [...jobs.values()];
  return {
    jobs: options.jobs,
    faults,
    faultsNotRun: owed,
    submitted: ids.size,
    completed: values.filter((j) => j.status === 'completed').length,
    retried: values.filter((j) => j.attempts > 1).length,
    failed: values.filter((j) => j.status === 'failed').length,
    lost: options.jobs - values.filter((j) => ['completed', 'failed', 'cancelled'].includes(j.status)).length,
    runTwiceBeyondPolicy: [...jobs].filter(([tag, j]) => (runs.get(tag) ?? 0) > Math.max(1, j.attempts)).length,
    orphans: [...workers].filter((pid) => isRunning(pid)).length,
    hostCrashes,
    disk,
    ms: Math.round(performance.now() - t0),
  };
}

export function printReport(r: ChaosReport): string {
  const rows: [string, number | string][] = [
    ['jobs submitted', r.submitted],
    ['completed', r.completed],
    ['retried (more than one attempt)', r.retried],
    ['failed (attempts spent)', r.failed],
    ['lost (must be 0)', r.lost],
    ['run twice beyond policy (must be 0)', r.runTwiceBeyondPolicy],
    ['orphan workers (must be 0)', r.orphans],
    ['host crashes (must be 0)', r.hostCrashes],
    [
      'faults',
      Object.entries(r.faults)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') + (r.faultsNotRun > 0 ? ` (${r.faultsNotRun} due while the disk was full not run)` : ''),
    ],
    [
      'disk fault',
      r.disk.mode.startsWith('skipped')
        ? r.disk.mode
        : `${r.disk.mode}: full ${r.disk.full}x, submits refused ${
            Object.entries(r.disk.refused)
              .map(([k, v]) => `${v} (${k})`)
              .join(', ') || '0'
          }, outcomes held ${r.disk.held} then written ${r.disk.heldWritten}`,
    ],
    ['wall time', `${(r.ms / 1000).toFixed(1)} s`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(38)} ${v}`).join('\n');
}

// `node build/test/chaos.js [jobs] [faults] [seed]`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [jobs = 2000, faults = 60, seed = 13] = process.argv.slice(2).map(Number);
  const report = await runChaos({ jobs, faults, seed });
  console.log(printReport(report));
  console.log(JSON.stringify(report));
  const bad = report.lost + report.runTwiceBeyondPolicy + report.orphans + report.hostCrashes;
  process.exit(bad === 0 ? 0 : 1);
}
