/**
 * Operating Bulkhead from a shell: the home's config.yaml and its overrides, job ids by prefix,
 * `jobs retry` and `jobs prune`, bytes in and out through the CLI, and a library host (an
 * application that opened a JobQueue) reached by the CLI. Real CLI processes over fixture plugins
 * found through BULKHEAD_PLUGIN_PATH (no npm needed).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { JobQueue, PluginManager } from 'bulkhead';
import { cleanUp, cli, tempHome } from '../cli-helpers.js';
import { repoRoot, tempDir } from '../helpers.js';
import { pluginDir } from '../manager-helpers.js';

const plugins = pluginDir([
  { name: 'echo', fixture: 'echo' },
  { name: 'binary', fixture: 'binary' },
  { name: 'fail', fixture: 'fail' },
  { name: 'huge', fixture: 'echo', resources: { memoryMB: 1_000_000_000 } },
  { name: 'slow', fixture: 'slow' },
]);
const env = { BULKHEAD_PLUGIN_PATH: plugins };

after(cleanUp);

interface JobJson {
  id: string;
  status: string;
  result: unknown;
  input: unknown;
  error: { code: string; message: string; data?: { stack?: string } } | null;
}

function json<T = JobJson>(text: string): T {
  return JSON.parse(text) as T;
}

describe('config.yaml', () => {
  test('a malformed or wrong config.yaml: every problem with line and column, exit 2, nothing runs', async () => {
    const home = tempHome();
    writeFileSync(
      join(home, 'config.yaml'),
      'scheduler:\n  policy: sometimes\nretention:\n  maxAge: soon\nschedular: {}\ncancelTimeout: 5s\n',
    );
    const r = await cli(home, ['run', 'echo'], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /config\.yaml:2:11: scheduler\.policy must be one of queue, safety, permissive/);
    assert.match(r.stderr, /config\.yaml:4:11: retention\.maxAge must be a duration like 30s, 10m or 7d/);
    assert.match(r.stderr, /config\.yaml:5:1: the file has unknown field "schedular" \(did you mean "scheduler"\?\)/);
    // Every command that opens the queue reads it, and nothing in the home changes.
    const jobs = await cli(home, ['jobs', '--json'], { env });
    assert.equal(jobs.code, 2);
    assert.equal(json<{ error: { code: string } }>(jobs.stderr).error.code, 'ERR_HOST_CONFIG_INVALID');
    writeFileSync(join(home, 'config.yaml'), 'scheduler: [unclosed\n');
    const syntax = await cli(home, ['config', 'get', '--host'], { env });
    assert.equal(syntax.code, 2);
    assert.match(syntax.stderr, /config\.yaml:1:12: .*closing \]/);
  });

  test('config get/set --host: the file, then BULKHEAD_* variables, then flags; a bad set changes nothing', async () => {
    const home = tempHome();
    const set = await cli(home, ['config', 'set', '--host', 'scheduler.policy=safety', 'retention.maxAge=3d'], { env });
    assert.equal(set.code, 0, set.stderr);
    const text = readFileSync(join(home, 'config.yaml'), 'utf8');
    assert.match(text, /policy: safety/);
    const got = await cli(home, ['config', 'get', '--host', '--json'], {
      env: { ...env, BULKHEAD_CANCEL_TIMEOUT: '2s' },
    });
    const { settings } = json<{ settings: Record<string, { value: unknown; source: string }> }>(got.stdout);
    assert.deepEqual(settings['scheduler.policy'], { value: 'safety', source: 'file', env: 'BULKHEAD_POLICY' });
    assert.equal(settings['retention.maxAge']?.value, 3 * 86_400_000);
    assert.deepEqual(settings.cancelTimeout, { value: 2000, source: 'env', env: 'BULKHEAD_CANCEL_TIMEOUT' });
    assert.equal(settings.concurrency?.source, 'default');
    const one = await cli(home, ['config', 'get', '--host', 'scheduler.policy'], { env });
    assert.equal(one.stdout.trim(), 'safety');

    const bad = await cli(home, ['config', 'set', '--host', 'retention.maxAge=3d', 'cancelTimeout=never'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cancelTimeout must be a duration/);
    const typo = await cli(home, ['config', 'set', '--host', 'scheduler.polcy=queue'], { env });
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /did you mean "scheduler\.policy"/);
    assert.equal(readFileSync(join(home, 'config.yaml'), 'utf8'), text);
    const badEnv = await cli(home, ['run', 'echo'], { env: { ...env, BULKHEAD_POLICY: 'maybe' } });
    assert.equal(badEnv.code, 2);
    assert.match(
      badEnv.stderr,
      /environment variable BULKHEAD_POLICY \(scheduler\.policy\) must be one of queue, safety, permissive/,
    );
  });

  test('a CLI user chooses the policy: safety refuses a job too big for the machine, permissive runs it', async () => {
    const home = tempHome();
    writeFileSync(join(home, 'config.yaml'), 'scheduler:\n  policy: safety\n');
    const refused = await cli(home, ['run', 'huge', '--json'], { env });
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(json<{ error: { code: string } }>(refused.stderr).error.code, 'ERR_INSUFFICIENT_RESOURCES');
    const forced = await cli(home, ['run', 'huge', '--policy', 'permissive', '--json', '--result-only'], { env });
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(json<{ prefix: string }>(forced.stdout).prefix, '>');
    const viaEnv = await cli(home, ['run', 'huge', '--json'], { env: { ...env, BULKHEAD_POLICY: 'permissive' } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
  });
});

describe('jobs', () => {
  test('ids by unique prefix; an ambiguous prefix and an unknown one each say so', async () => {
    const home = tempHome();
    // 17 jobs: two of them must share a first character (ids are hex).
    const ids = await withQueue(home, (q) =>
      q.submitMany(Array.from({ length: 17 }, (_, i) => ({ plugin: 'echo', input: { x: i } }))),
    );
    const first = new Map<string, number>();
    for (const id of ids) first.set(id[0]!, (first.get(id[0]!) ?? 0) + 1);
    const shared = [...first].find(([, n]) => n > 1)![0];
    const target = ids[0]!;
    // The shortest prefix of the target that no other id shares.
    let n = 1;
    while (ids.some((id) => id !== target && id.startsWith(target.slice(0, n)))) n++;
    const unique = await cli(home, ['jobs', 'show', target.slice(0, n), '--json'], { env });
    assert.equal(unique.code, 0, unique.stderr);
    assert.equal(json(unique.stdout).id, target);

    const ambiguous = await cli(home, ['jobs', 'show', shared], { env });
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, new RegExp(`job id ${shared} is ambiguous: .*start with it`));
    const ambiguousJson = await cli(home, ['jobs', 'cancel', shared, '--json'], { env });
    assert.equal(json<{ error: { code: string } }>(ambiguousJson.stderr).error.code, 'ERR_JOB_ID_AMBIGUOUS');

    const unknown = await cli(home, ['jobs', 'show', 'zz'], { env });
    assert.equal(unknown.code, 5);
    assert.match(unknown.stderr, /no job zz/);

    const cancelled = await cli(home, ['jobs', 'cancel', target.slice(0, n)], { env });
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(cancelled.stdout.trim(), `${target}: cancelled`);
  });

  test('an unknown jobs subcommand says so; jobs --help lists --status', async () => {
    const home = tempHome();
    const r = await cli(home, ['jobs', 'retyr', 'X'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown jobs subcommand "retyr" \(did you mean "retry"\?\)/);
    const help = await cli(home, ['jobs', '--help'], { env });
    assert.match(help.stdout, /-s, --status <status>/);
    assert.match(help.stdout, /retry/);
    assert.match(help.stdout, /prune/);
  });

  test('jobs retry runs a finished job again as a new job; a running one is refused', async () => {
    const home = tempHome();
    const run = await cli(home, ['run', 'echo', '--input', '{"x": 7}', '--json'], { env });
    const first = json(run.stdout);
    const retried = await cli(home, ['jobs', 'retry', first.id.slice(0, 8), '--json'], { env });
    assert.equal(retried.code, 0, retried.stderr);
    const second = json(retried.stdout);
    assert.notEqual(second.id, first.id);
    assert.equal(second.status, 'completed');
    assert.deepEqual(second.input, { x: 7 });
    const failed = json((await cli(home, ['run', 'fail', '--input', '{"message": "no"}', '--json'], { env })).stdout);
    const again = await cli(home, ['jobs', 'retry', failed.id], { env });
    assert.equal(again.code, 3, again.stderr); // it fails again, as a new job
    const detached = json((await cli(home, ['run', 'echo', '--detach', '--json'], { env })).stdout);
    const pending = await cli(home, ['jobs', 'retry', detached.id], { env });
    assert.equal(pending.code, 2);
    assert.match(pending.stderr, /is pending: only a finished job can be retried/);
  });

  test('jobs prune by status and age; it refuses unfinished statuses', async () => {
    const home = tempHome();
    await cli(home, ['run', 'echo'], { env });
    await cli(home, ['run', 'fail', '--input', '{"message": "no"}'], { env });
    const none = await cli(home, ['jobs', 'prune', '--older-than', '1d', '--json'], { env });
    assert.deepEqual(json(none.stdout), { removed: 0 });
    const failed = await cli(home, ['jobs', 'prune', '--status', 'failed', '--json'], { env });
    assert.deepEqual(json(failed.stdout), { removed: 1 });
    const left = json<{ jobs: JobJson[] }>((await cli(home, ['jobs', '--json'], { env })).stdout).jobs;
    assert.deepEqual(
      left.map((j) => j.status),
      ['completed'],
    );
    const bad = await cli(home, ['jobs', 'prune', '--status', 'running'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /running jobs have not finished/);
    const badAge = await cli(home, ['jobs', 'prune', '--older-than', 'later'], { env });
    assert.equal(badAge.code, 2);
  });

  test("the plugin's stack: with --verbose on run, and always in jobs show", async () => {
    const home = tempHome();
    const plain = await cli(home, ['run', 'fail', '--input', '{"message": "deep"}'], { env });
    assert.equal(plain.code, 3);
    assert.doesNotMatch(plain.stderr, /fail\.js:\d+/);
    assert.match(plain.stderr, /the plugin's stack with --verbose/);
    const verbose = await cli(home, ['run', 'fail', '--input', '{"message": "deep"}', '--verbose'], { env });
    assert.match(verbose.stderr, /Error: deep\n\s+at .*fail\.js:\d+/);
    const id = /job (\S+) failed/.exec(verbose.stderr)![1]!;
    const show = await cli(home, ['jobs', 'show', id], { env });
    assert.match(show.stdout, / {2}stack\n {4}Error: deep\n {4}at .*fail\.js:\d+/);
  });
});

describe('bytes through the CLI', () => {
  test('{"$bytes"} input, --file, --output raw; plain output never prints bytes as numbers', async () => {
    const home = tempHome();
    const dir = tempDir('bulkhead-bytes-');
    const inverted = await cli(
      home,
      ['run', 'binary', '--input', '{"op": "invert", "data": {"$bytes": "AAEC/w=="}}', '--json', '--result-only'],
      { env },
    );
    assert.equal(inverted.code, 0, inverted.stderr);
    assert.deepEqual(json(inverted.stdout), {
      inverted: { $bytes: Buffer.from([255, 254, 253, 0]).toString('base64') },
    });

    const photo = join(dir, 'photo.bin');
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    writeFileSync(photo, bytes);
    const out = join(dir, 'out.bin');
    const saved = await cli(
      home,
      ['run', 'binary', '--input', '{"op": "identity"}', '--file', `data=${photo}`, '-o', out],
      {
        env,
      },
    );
    assert.equal(saved.code, 0, saved.stderr);
    assert.deepEqual(readFileSync(out), bytes);
    assert.equal(saved.stdout, '');
    assert.match(saved.stderr, /wrote result, 4\.9 KB to /);

    const plain = await cli(home, ['run', 'binary', '--input', '{"op": "invert"}', '--file', `data=${photo}`], { env });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /"inverted": "<4\.9 KB of bytes>"/);
    assert.ok(plain.stdout.split('\n').length < 10, plain.stdout);
    assert.match(
      plain.stderr,
      /the result holds bytes: result\.inverted \(4\.9 KB\); save it raw with `bulkhead jobs show \S+ --output FILE`/,
    );
    const id = /job (\S+) completed/.exec(plain.stderr)![1]!;
    const show = await cli(home, ['jobs', 'show', id], { env });
    assert.match(show.stdout, /input {4}\{"op":"invert","data":"<4\.9 KB of bytes>"\}/);
    assert.match(show.stdout, /result {3}\{"inverted":"<4\.9 KB of bytes>"\}/);
    assert.ok(show.stdout.length < 2000, show.stdout);
    const fromShow = join(dir, 'again.bin');
    await cli(home, ['jobs', 'show', id, '--output', fromShow], { env });
    assert.deepEqual(readFileSync(fromShow), Buffer.from(bytes.map((b) => 255 - b)));

    const badBytes = await cli(home, ['run', 'binary', '--file', 'data'], { env });
    assert.equal(badBytes.code, 2);
    assert.match(badBytes.stderr, /--file data: expected FIELD=PATH/);
    const missing = await cli(home, ['run', 'binary', '--file', `data=${join(dir, 'nope')}`], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope: ENOENT/);
  });
});

describe('a library host', () => {
  test('an application that opened a JobQueue is reached by bulkhead run, jobs and cancel', async () => {
    const home = tempHome();
    const host = await appHost(home);
    try {
      const run = await cli(home, ['run', 'echo', '--input', '{"x": 1}', '--json'], { env });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(json(run.stdout).result, { echo: { x: 1 }, prefix: '>', repeat: 1 });
      const slow = await cli(
        home,
        ['run', 'slow', '--input', '{"steps": 1000, "stepMs": 1000}', '--detach', '--json'],
        { env },
      );
      const { id } = json<{ id: string }>(slow.stdout);
      const cancel = await cli(home, ['jobs', 'cancel', id.slice(0, 8)], { env });
      assert.equal(cancel.code, 0, cancel.stderr);
      const list = await cli(home, ['jobs', '--json'], { env });
      const jobs = json<{ jobs: JobJson[] }>(list.stdout).jobs;
      assert.equal(jobs.find((j) => j.id === id)?.status, 'cancelled');
    } finally {
      host.kill('SIGTERM');
      await new Promise((r) => host.once('exit', r));
    }
  });
});

/** Submits through a queue of this process on `home` (not started: the jobs stay pending). */
async function withQueue<T>(home: string, fn: (q: JobQueue) => Promise<T>): Promise<T> {
  const manager = new PluginManager({ pluginPaths: [plugins], home, liveness: { pingIntervalMs: 0 } });
  const queue = await JobQueue.open({ manager, durability: 'process' });
  try {
    return await fn(queue);
  } finally {
    await queue.stop();
    await manager.close();
  }
}

/** test/fixtures/control-host.ts: a manager and a started JobQueue, no serveControl call. */
async function appHost(home: string): Promise<ChildProcess> {
  const script = join(repoRoot, 'build', 'test', 'fixtures', 'control-host.js');
  const child = spawn(process.execPath, [script, plugins, home], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the app host exited with ${code} before ready`)));
  });
  return child;
}
