/**
 * The checks behind `bulkhead doctor`: is this machine and this Bulkhead home fit to run plugins?
 * Each check gives one {@link DoctorCheck} (the plugins check adds one per problem plugin), with a
 * one-line `detail` and, when something is wrong, a one-line `fix`; the CLI only renders them.
 * The checks themselves live in `doctor/`, one file per concern; this module runs them.
 *
 * Doctor only looks. It opens the job database read-only, never claims its owner row, and writes
 * nothing but a temporary file to prove the home is writable, so it is safe beside a live host.
 * Every check runs under a timeout, so a hung driver or network never hangs doctor.
 * @module
 */
import { resolve } from 'node:path';
import { type CommandRunner, execCommandRunner } from '../resources/command-runner.js';
import { type DoctorCheck, type DoctorContext, fail, firstLine, type Outcome } from './doctor/check.js';
import { checkConfig } from './doctor/config.js';
import { inspectDatabase } from './doctor/database.js';
import { checkGpu } from './doctor/gpu.js';
import { checkHome } from './doctor/home.js';
import { checkHostAnswers } from './doctor/host-answers.js';
import { checkLimits } from './doctor/limits.js';
import { checkNodeVersion, checkNpm } from './doctor/node.js';
import { checkPlugins } from './doctor/plugins.js';
import { checkRedis } from './doctor/redis.js';

export type { DoctorCheck } from './doctor/check.js';
export { LOW_DISK_BYTES } from './doctor/home.js';
export { checkNodeVersion } from './doctor/node.js';

export interface DoctorOptions {
  /** The Bulkhead home to check (see `bulkheadHome()`). */
  home: string;
  /** Default `process.env`. Read for `BULKHEAD_PLUGIN_PATH` and `BULKHEAD_REDIS_URL`. */
  env?: NodeJS.ProcessEnv;
  /** Runs `npm`, `nvidia-smi` and pinned Node binaries. Default {@link execCommandRunner}. */
  runCommand?: CommandRunner;
  /** Per check: a command, connection or lock wait gives up after this. Default 5 s. */
  timeoutMs?: number;
}

/** Used when the caller gives no `timeoutMs`. */
export const DEFAULT_DOCTOR_TIMEOUT_MS = 5000;

/**
 * Runs every check, independent ones concurrently, and resolves with all results in a fixed order.
 * Never rejects: a check that throws or overruns becomes a `fail`.
 *
 * @example
 * const checks = await runDoctor({ home: bulkheadHome() });
 * for (const c of checks) console.log(`${c.status.padEnd(4)} ${c.title}: ${c.detail}`);
 * process.exitCode = doctorExitCode(checks);
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const ctx: DoctorContext = {
    home: resolve(options.home),
    env: options.env ?? process.env,
    run: options.runCommand ?? execCommandRunner,
    timeoutMs: options.timeoutMs ?? DEFAULT_DOCTOR_TIMEOUT_MS,
  };
  // One read-only look serves both `sqlite` and `control`.
  const database = inspectDatabase(ctx);
  const results = await Promise.all([
    guard('node', 'Node.js', ctx, async () => checkNodeVersion(process.versions.node)),
    guard('npm', 'npm', ctx, () => checkNpm(ctx)),
    guard('home', 'Bulkhead home', ctx, () => checkHome(ctx.home)),
    guard('config', 'Host settings', ctx, () => checkConfig(ctx)),
    guard('sqlite', 'Job database', ctx, async () => (await database).sqlite),
    guard('plugins', 'Plugins', ctx, () => checkPlugins(ctx)),
    guard('gpu', 'NVIDIA GPUs', ctx, () => checkGpu(ctx)),
    guard('limits', 'Worker limits', ctx, () => checkLimits(ctx)),
    guard('redis', 'Redis', ctx, () => checkRedis(ctx)),
    guard('control', 'Job database owner', ctx, async () => {
      const d = await database;
      return d.runningOwner === undefined ? d.control : checkHostAnswers(ctx, d.control, d.runningOwner);
    }),
  ]);
  return results.flat();
}

/**
 * 1 if any check failed, else 0: warnings and skips do not fail `bulkhead doctor`.
 *
 * @example
 * process.exitCode = doctorExitCode(await runDoctor({ home }));
 */
export function doctorExitCode(checks: readonly DoctorCheck[]): 0 | 1 {
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

/**
 * Runs one check under a deadline and turns whatever goes wrong into a `fail`. The checks' own
 * timeouts (commands, sockets, SQLite's busy wait) are `timeoutMs` and say what was slow; this one,
 * twice that, is the backstop for what has none: a hung network filesystem, a runner that ignores
 * its timeout.
 */
async function guard(
  id: string,
  title: string,
  ctx: DoctorContext,
  fn: () => Promise<Outcome | DoctorCheck[]>,
): Promise<DoctorCheck[]> {
  const limitMs = 2 * ctx.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<Outcome>((done) => {
    const fix = 'find what blocks it (a hung network filesystem or driver), or rerun with a longer timeout';
    timer = setTimeout(() => done(fail(`the check did not finish within ${limitMs} ms`, fix)), limitMs);
  });
  try {
    const outcome = await Promise.race([fn(), overrun]);
    return Array.isArray(outcome) ? outcome : [{ id, title, ...outcome }];
  } catch (e) {
    const fix = 'this is a bug in bulkhead doctor: please report it with this line';
    return [{ id, title, ...fail(`the check itself failed: ${firstLine(e)}`, fix) }];
  } finally {
    clearTimeout(timer);
  }
}
