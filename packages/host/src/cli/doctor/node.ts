/**
 * The `node` and `npm` checks: the Node.js Bulkhead runs on, and the npm that `bulkhead install` runs.
 * @module
 */
import { lt, parse } from 'semver';
import { type DoctorCheck, type DoctorContext, errorCode, fail, firstLine, type Outcome, ok, warn } from './check.js';

/** Release lines that Bulkhead still runs on but that no longer get security fixes. */
const END_OF_LIFE: Partial<Record<number, string>> = { 23: '2025-06-01', 25: '2026-06-01' };

/**
 * The `node` check for one Node version (`process.versions.node`, or `v24.1.0` as `node --version` prints it).
 *
 * @example
 * checkNodeVersion('20.19.0').status // 'fail': older than 22.13 (and past end of life)
 */
export function checkNodeVersion(version: string): DoctorCheck {
  const check = (o: Outcome): DoctorCheck => ({ id: 'node', title: 'Node.js', ...o });
  const upgrade = 'install Node 24 LTS (https://nodejs.org) and run Bulkhead with it';
  const parsed = parse(version.trim(), { loose: true });
  if (parsed === null) return check(warn(`unrecognised Node version "${version}"`, upgrade));
  const major = parsed.major;
  const v = `Node ${parsed.major}.${parsed.minor}.${parsed.patch}`;
  if (lt(parsed, '22.13.0')) {
    return check(fail(`${v} is older than 22.13, the oldest Bulkhead runs on`, upgrade));
  }
  const endOfLife = END_OF_LIFE[major];
  if (endOfLife !== undefined) return check(warn(`${v}: Node ${major} reached end of life on ${endOfLife}`, upgrade));
  return check(ok(v));
}

export async function checkNpm(ctx: DoctorContext): Promise<Outcome> {
  const fix = 'install npm (it ships with Node.js) and put it on PATH: bulkhead install runs it';
  try {
    const { stdout, stderr, exitCode } = await ctx.run('npm', ['--version'], { timeoutMs: ctx.timeoutMs });
    if (exitCode === 0) return ok(`npm ${stdout.trim()}`);
    return fail(`npm --version exited with code ${exitCode}: ${firstLine(stderr || stdout)}`, fix);
  } catch (e) {
    return fail(errorCode(e) === 'ENOENT' ? 'npm was not found on PATH' : `npm --version: ${firstLine(e)}`, fix);
  }
}
