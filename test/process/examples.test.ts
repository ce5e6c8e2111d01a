import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers.js';

const run = promisify(execFile);
const built = join(repoRoot, 'build', 'examples');

test("the README's example prints what the README says", async () => {
  const { stdout } = await run(process.execPath, [join(built, 'readme', 'host.js')]);
  assert.equal(stdout, 'Hello, Ada\n');
});

test('the demo (npm run demo) runs every step and exits on its own', async () => {
  const { stdout } = await run(process.execPath, [join(built, 'demo.js')], { timeout: 30_000 });
  assert.match(stdout, /hello → Bonjour, Ada/);
  assert.match(stdout, /transcript: "plugins run in their own processes so a crash stays contained"/);
  assert.match(stdout, /first pixels 255,254,253,252/);
  assert.match(stdout, /cancelled cleanly \(forced: false\)/);
  assert.match(stdout, /render died \(exit code 139\)/);
  assert.match(stdout, /discovered hello, render/);
  assert.match(
    stdout,
    /priority 9 ran before priority 0: true; hello → Bonjour|priority 9 ran before priority 0: true; hello → Hello, Linus/,
  );
  assert.match(stdout, /timeline of the low job: queued → (loading-plugin → )?started → completed/);
  assert.match(stdout, /the cancelled one: cancelled/);
  assert.match(stdout, /all workers stopped/);
});
