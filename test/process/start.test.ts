import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BulkheadClient } from 'bulkhead/client';
import { cleanUp, cliEnv, tempHome } from '../cli-helpers.js';
import { repoRoot } from '../helpers.js';

after(cleanUp);

// `npm start` as a new user runs it (its compiled script, with a home of its own): the example
// plugins installed, served, demo jobs of each kind queued, the URL printed, Ctrl-C ends it with 0.
test('npm start: installs the examples, serves them with demo jobs, prints the URL; SIGINT stops it', async () => {
  const home = tempHome();
  const child = spawn(process.execPath, [join(repoRoot, 'build', 'examples', 'start.js')], {
    env: { ...cliEnv(home), PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const look = () => {
        const m = /dashboard: {2}(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})/.exec(out);
        if (m) resolve(m[1] as string);
      };
      child.stdout.on('data', look);
      void exited.then((code) => reject(new Error(`start exited with ${code} before its URL:\n${out}`)));
    });
    const bh = new BulkheadClient({ url });
    const names = (await bh.plugins()).map((p) => p.name).sort();
    for (const n of ['countdown', 'hello', 'node-pinned', 'semver-legacy', 'semver-modern'])
      assert.ok(names.includes(n), n);
    const { jobs } = await bh.list({ limit: 100 });
    assert.equal(jobs.filter((j) => j.plugin === 'countdown').length, 4);
    // The one that fails does so by its timeout, on its own.
    const failing = jobs.find((j) => j.timeoutMs === 500) as { id: string };
    assert.equal((await bh.wait(failing.id)).error?.code, 'ERR_TIMEOUT');
    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
  } finally {
    child.kill('SIGKILL');
  }
});
