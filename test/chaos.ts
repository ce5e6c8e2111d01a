/**
 * `npm run chaos`: a stream of jobs through a real host process while faults are injected at
 * random (seeded): kill -9 of a worker, SIGSTOP of a busy worker (the hang detector's case),
 * kill -9 of the host itself (a new host takes over and recovers), and log floods. At the end every
 * job is accounted for: submitted / completed / retried / failed, and the numbers that must be 0:
 * lost, run more often than its attempts, orphan workers, host crashes (exits nobody caused).
 * test/chaos.test.ts runs it small; `npm run chaos -- 2000 60` runs 2,000 jobs with 60 faults.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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
  submitted: number;
  completed: number;
  retried: number;
  failed: number;
  lost: number;
  runTwiceBeyondPolicy: number;
  orphans: number;
  hostCrashes: number;
  ms: number;
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

export async function runChaos(options: { jobs: number; faults: number; seed?: number }): Promise<ChaosReport> {
  const t0 = performance.now();
  const random = prng(options.seed ?? 13);
  const dir = pluginDir([
    { name: 'journal', fixture: 'journal', concurrency: 2 },
    { name: 'flood', fixture: 'flood' },
  ]);
  const home = tempHome();
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
        if (out.includes('ready')) resolve();
      });
      child.once('exit', () => reject(new Error('the chaos host exited before it was ready')));
    });
    const client = await control.connectControl(home);
    if (client === null) throw new Error('the chaos host serves no control socket');
    return client;
  };

  let client = await startHost();
  const ids = new Map<string, string>(); // tag → job id
  const faults = { 'kill-worker': 0, 'stop-worker': 0, 'kill-host': 0, flood: 0 };
  const faultEvery = Math.max(1, Math.floor(options.jobs / Math.max(1, options.faults)));

  const noteWorkers = async () => {
    for (const p of await client.plugins().catch(() => [])) if (p.pid !== null) workers.add(p.pid);
  };
  for (let i = 0; i < options.jobs; i++) {
    const tag = `job-${i}`;
    for (;;) {
      try {
        ids.set(tag, await client.submit('journal', { tag, file: journal, ms: 5 + Math.floor(random() * 20) }));
        break;
      } catch {
        client = await startHost(); // the host was killed between faults: take over, as the CLI does
      }
    }
    if (i % faultEvery !== faultEvery - 1) continue;
    await noteWorkers();
    const pick = random();
    // A worker fault needs a worker: give the journal plugin's a moment to be up (it starts on use).
    let pid: number | null = null;
    for (let tries = 0; pick < 0.55 && pid === null && tries < 100; tries++) {
      pid = (await client.plugins().catch(() => [])).find((p) => p.name === 'journal')?.pid ?? null;
      if (pid === null) await new Promise((r) => setTimeout(r, 20));
    }
    if (pid !== null) workers.add(pid);
    if (pick < 0.35 && pid !== null) {
      process.kill(pid, 'SIGKILL');
      faults['kill-worker']++;
    } else if (pick < 0.55 && pid !== null) {
      process.kill(pid, 'SIGSTOP');
      faults['stop-worker']++;
    } else if (pick < 0.75) {
      killedByUs = true;
      (host as ChildProcess | null)?.kill('SIGKILL');
      await new Promise((r) => (host as ChildProcess).once('exit', r));
      await client.close().catch(() => {});
      client = await startHost();
      faults['kill-host']++;
    } else {
      await client.submit('flood', { megabytes: 2 }).catch(() => {});
      faults.flood++;
    }
  }
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
  await noteWorkers();
  await client.close();
  killedByUs = true;
  const last = host as ChildProcess | null;
  if (last !== null && last.exitCode === null) {
    last.kill('SIGTERM');
    await new Promise((r) => last.once('exit', r));
  }
  const runs = new Map<string, number>();
  for (const tag of readFileSync(journal, 'utf8').split('\n')) if (tag) runs.set(tag, (runs.get(tag) ?? 0) + 1);
  const values = [...jobs.values()];
  return {
    jobs: options.jobs,
    faults,
    submitted: ids.size,
    completed: values.filter((j) => j.status === 'completed').length,
    retried: values.filter((j) => j.attempts > 1).length,
    failed: values.filter((j) => j.status === 'failed').length,
    lost: options.jobs - values.filter((j) => ['completed', 'failed', 'cancelled'].includes(j.status)).length,
    runTwiceBeyondPolicy: [...jobs].filter(([tag, j]) => (runs.get(tag) ?? 0) > Math.max(1, j.attempts)).length,
    orphans: [...workers].filter((pid) => isRunning(pid)).length,
    hostCrashes,
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
        .join(', '),
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
