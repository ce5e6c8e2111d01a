/**
 * A full disk under the home, for real (a small tmpfs in a private mount namespace:
 * tmpfs-home.ts): `install`, `disable`, `config set --host` and `doctor` say "the disk is
 * full" (ERR_DISK_FULL) in a line, crash on nothing, and leave no temp file, staging directory or
 * lock behind; once there is room, the same install works.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixture, repoRoot } from '../helpers.js';
import { pluginDir } from '../manager-helpers.js';
import { onTmpfs, type Step, tmpfsSkip } from '../tmpfs-home.js';

const root = mkdtempSync(join(tmpdir(), 'bulkhead-full-'));
after(() => rmSync(root, { recursive: true, force: true }));

function step(steps: Map<string, Step>, name: string) {
  const s = steps.get(name);
  assert.ok(s !== undefined, `step ${name} ran`);
  return s;
}

test('install on a full disk: "the disk is full", no stack trace, nothing left behind; with room it installs', {
  skip: tmpfsSkip,
}, () => {
  const src = mkdtempSync(join(root, 'src-'));
  cpSync(join(repoRoot, 'examples', 'packages', 'hello'), join(src, 'hello'), { recursive: true });
  writeFileSync(join(src, 'plugins.yaml'), 'version: 1\nplugins:\n  - source: ./hello\n');
  const { steps, dir } = onTmpfs(
    '24m',
    `
mkdir -p "$HOME_DIR/plugins"
fill
run full "$NODE" "$BIN" install "$SRC/plugins.yaml" --json
ls -A "$HOME_DIR/plugins" > "$DIR/left-full.txt"
truncate -s -400K "$MNT/filler"
run nearly "$NODE" "$BIN" install "$SRC/plugins.yaml" --json
ls -A "$HOME_DIR/plugins" > "$DIR/left-nearly.txt"
rm "$MNT/filler"
run room "$NODE" "$BIN" install "$SRC/plugins.yaml"
`,
    { SRC: src },
  );
  // Not even room for the lock: the install refuses at once.
  const full = step(steps, 'full');
  assert.equal(full.status, 1, full.stderr);
  assert.equal(full.stdout, '');
  const { error } = JSON.parse(full.stderr) as { error: { code: string; message: string } };
  assert.equal(error.code, 'ERR_DISK_FULL');
  assert.match(
    error.message,
    /^the disk is full: the install lock could not be written to \S+plugins; free some space/,
  );
  assert.equal(readFileSync(join(dir, 'left-full.txt'), 'utf8'), '', 'no lock, no temp file');
  // Room for the lock, not for npm's work: the plugin fails, the run goes on to its end.
  const nearly = step(steps, 'nearly');
  assert.equal(nearly.status, 1, nearly.stderr);
  assert.doesNotMatch(nearly.stderr, /Unhandled 'error' event|at emitErrorNT|node:events/);
  const report = JSON.parse(nearly.stdout) as {
    plugins: { status: string; error: { code: string; message: string } }[];
  };
  assert.equal(report.plugins[0]?.status, 'failed');
  assert.equal(report.plugins[0]?.error.code, 'ERR_DISK_FULL', report.plugins[0]?.error.message);
  assert.match(
    report.plugins[0]?.error.message ?? '',
    /^the disk is full: the install of \.\/hello could not be written to \S+plugins; free some space/,
  );
  assert.equal(readFileSync(join(dir, 'left-nearly.txt'), 'utf8'), '', 'no .staging, no .install.lock');
  const room = step(steps, 'room');
  assert.equal(room.status, 0, room.stderr);
  assert.match(room.stdout, /1 installed/);
});

test('disable, config set --host and doctor on a full disk: one clear line each, no temp file left', {
  skip: tmpfsSkip,
}, () => {
  const plugins = pluginDir([{ name: 'echo', fixture: 'echo' }]);
  const { steps, dir } = onTmpfs(
    '1m',
    `
run list "$NODE" "$BIN" list
fill
run disable "$NODE" "$BIN" disable echo
run config "$NODE" "$BIN" config set --host attempts=2
run doctor "$NODE" "$BIN" doctor --json
ls -A "$HOME_DIR" > "$DIR/left.txt"
`,
    { BULKHEAD_PLUGIN_PATH: plugins },
  );
  assert.equal(step(steps, 'list').status, 0);
  const disable = step(steps, 'disable');
  assert.notEqual(disable.status, 0);
  assert.match(disable.stderr, /the disk is full: the plugin state could not be written to \S+state\.json/);
  const config = step(steps, 'config');
  assert.notEqual(config.status, 0);
  assert.match(config.stderr, /the disk is full: the host settings could not be written to \S+config\.yaml/);
  const doctor = step(steps, 'doctor');
  assert.match(doctor.stdout, /is on a full disk \(ENOSPC\)/);
  assert.doesNotMatch(doctor.stdout, /chmod u\+w/);
  const left = readFileSync(join(dir, 'left.txt'), 'utf8').split('\n').filter(Boolean);
  assert.deepEqual(
    left.filter((f) => f.endsWith('.tmp') || f.startsWith('.doctor-') || f.endsWith('.lock')),
    [],
    left.join(', '),
  );
});

/** A host whose disk fills while a job runs; space comes back once the queue says it holds the outcome. */
const RUNNING_PROBE = `
import { JobQueue, PluginManager } from 'bulkhead';
import { openSync, writeSync, closeSync, unlinkSync } from 'node:fs';
const home = process.env.BULKHEAD_HOME;
const filler = home + '/../filler';
const out = {};
const manager = new PluginManager({ pluginPaths: [process.env.PLUGINS], home, liveness: { pingIntervalMs: 0 } });
const queue = await JobQueue.open({ manager });
await queue.start();
process.on('warning', (w) => {
  if (/kept in memory/.test(w.message)) {
    out.held = true;
    queue.submit('slow', { steps: 1, stepMs: 1 }).then(
      () => { out.refused = null; },
      (e) => { out.refused = { code: e.code, reason: e.data?.reason, message: e.message }; },
    ).finally(() => unlinkSync(filler));
  }
});
const id = await queue.submit('slow', { steps: 10, stepMs: 30 });
await new Promise((r) => queue.once('started', r));
const fd = openSync(filler, 'w');
try { for (;;) writeSync(fd, Buffer.alloc(4096, 1)); } catch (e) { out.filled = e.code; }
closeSync(fd);
const job = await queue.wait(id);
out.status = job.status;
out.result = job.result;
out.stored = (await queue.get(id)).status;
await queue.stop();
await manager.close();
console.log(JSON.stringify(out));
`;

test('the disk fills while a job runs: the host stays up, refuses new work, keeps the outcome and writes it once there is room', {
  skip: tmpfsSkip,
}, () => {
  const plugins = mkdtempSync(join(root, 'plugins-'));
  mkdirSync(join(plugins, 'slow'));
  writeFileSync(
    join(plugins, 'slow', 'bulkhead-plugin.json'),
    JSON.stringify({ manifestVersion: 1, name: 'slow', version: '1.0.0', entry: fixture('slow') }),
  );
  const probeDir = mkdtempSync(join(repoRoot, 'test', '.probe-'));
  try {
    writeFileSync(join(probeDir, 'probe.mjs'), RUNNING_PROBE);
    const { steps } = onTmpfs('4m', 'run probe "$NODE" "$PROBE"\n', {
      PLUGINS: plugins,
      PROBE: join(probeDir, 'probe.mjs'),
    });
    const probe = step(steps, 'probe');
    assert.equal(probe.status, 0, probe.stderr);
    const out = JSON.parse(probe.stdout) as Record<string, unknown>;
    assert.equal(out.filled, 'ENOSPC');
    assert.equal(out.held, true, probe.stderr);
    assert.deepEqual(
      [(out.refused as { code: string }).code, (out.refused as { reason: string }).reason],
      ['ERR_DISK_FULL', undefined],
    );
    assert.match((out.refused as { message: string }).message, /the disk is full/);
    assert.deepEqual([out.status, out.result, out.stored], ['completed', 'done', 'completed']);
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
});
