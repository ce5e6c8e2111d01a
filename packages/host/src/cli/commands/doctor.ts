/**
 * `bulkhead doctor`: every check, what is wrong, and what to do about it.
 * @module
 */

import type { CommandContext } from '../context.js';
import { doctorExitCode, runDoctor } from '../doctor.js';

export async function doctor(ctx: CommandContext): Promise<number> {
  const checks = await runDoctor({ home: ctx.home, env: ctx.env });
  const { out } = ctx;
  if (out.json) out.document({ home: ctx.home, checks });
  else {
    const mark = {
      ok: out.style('green', '✓'),
      warn: out.style('yellow', '!'),
      fail: out.style('red', '✗'),
      skip: out.style('dim', '-'),
    };
    const width = Math.max(...checks.map((c) => c.title.length));
    for (const c of checks) {
      out.line(`${mark[c.status]} ${c.title.padEnd(width)}  ${c.detail}`);
      if (c.fix && c.status !== 'ok') out.line(`  ${out.style('dim', `→ ${c.fix}`)}`);
    }
    const failed = checks.filter((c) => c.status === 'fail').length;
    out.line(failed === 0 ? 'No problems found.' : `${failed} problem(s) to fix.`);
  }
  return doctorExitCode(checks);
}
