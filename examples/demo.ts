/**
 * `npm start`: each example plugin runs in its own process; this host calls them with execute,
 * stream, progress and cancel, and survives one of them crashing; then the same plugins behind the
 * plugin manager and a durable job queue (SQLite) in a temporary Bulkhead home.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBulkheadError, JobQueue, PluginManager, PluginProcess, type Progress } from 'bulkhead';
import type hello from './plugins/hello.js';
import type invertImage from './plugins/invert-image.js';
import type render from './plugins/render.js';
import type transcribe from './plugins/transcribe.js';

const plugins = join(dirname(fileURLToPath(import.meta.url)), 'plugins');
const at = (name: string) => join(plugins, `${name}.js`);
const say = (line: string) => process.stdout.write(`${line}\n`);
const bar = (f = 0) => `[${'#'.repeat(Math.round(f * 20)).padEnd(20, '.')}] ${Math.round(f * 100)}%`;
/** A progress line redrawn in place on a terminal; in a log, one line per quarter. */
function progressPrinter(): (p: Progress) => void {
  let quarter = -1;
  return (p) => {
    const f = p.fraction ?? 0;
    if (process.stdout.isTTY) process.stdout.write(`\r  ${bar(f)} ${p.message ?? ''}   `);
    else if (Math.floor(f * 4) > quarter) {
      quarter = Math.floor(f * 4);
      say(`  ${bar(f)} ${p.message ?? ''}`);
    }
  };
}

say(`Bulkhead demo — host pid ${process.pid}\n`);

const t0 = performance.now();
const [helloP, transcribeP, invertP, renderP] = await Promise.all([
  PluginProcess.start<typeof hello>({ plugin: at('hello'), config: { greeting: 'Bonjour' } }),
  PluginProcess.start<typeof transcribe>({ plugin: at('transcribe'), config: { wordDelayMs: 30 } }),
  PluginProcess.start<typeof invertImage>({ plugin: at('invert-image') }),
  PluginProcess.start<typeof render>({ plugin: at('render') }),
]);
const all = [helloP, transcribeP, invertP, renderP];
say(`started ${all.length} plugins in ${Math.round(performance.now() - t0)} ms:`);
for (const p of all) say(`  ${p.info.name}@${p.info.version}  pid ${p.pid}  ${JSON.stringify(p.info.capabilities)}`);

say('\n1. execute');
say(`  hello → ${await helloP.execute({ name: 'Ada' })}`);

say('\n2. stream, with pushed progress');
const words: string[] = [];
for await (const { word } of transcribeP.stream(
  { text: 'plugins run in their own processes so a crash stays contained' },
  { onProgress: progressPrinter() },
)) {
  words.push(word);
}
say(`${process.stdout.isTTY ? '\n' : ''}  transcript: "${words.join(' ')}"`);

say('\n3. binary in and out (no JSON, no base64)');
const pixels = Uint8Array.from({ length: 1920 * 1080 }, (_, i) => i % 256);
const t1 = performance.now();
const image = await invertP.execute({ width: 1920, height: 1080, pixels });
say(
  `  inverted a 1920×1080 image in ${(performance.now() - t1).toFixed(1)} ms; first pixels ${[...image.pixels.slice(0, 4)].join(',')}`,
);

say('\n4. cancel a running job with an AbortSignal');
const ac = new AbortController();
const showRender = progressPrinter();
const job = renderP.execute(
  { frames: 100 },
  {
    signal: ac.signal,
    onProgress: (p) => {
      showRender(p);
      if ((p.fraction ?? 0) >= 0.25) ac.abort('user pressed stop');
    },
  },
);
try {
  await job;
} catch (e) {
  if (isBulkheadError(e, 'ERR_CANCELLED'))
    say(
      `${process.stdout.isTTY ? '\n' : ''}  cancelled cleanly (forced: ${e.data.forced}) — worker still alive: ${renderP.alive}`,
    );
  else throw e;
}

say('\n5. a plugin crashes; the host carries on');
try {
  await renderP.execute({ frames: 1, crash: true });
} catch (e) {
  if (isBulkheadError(e, 'ERR_WORKER_EXITED')) {
    say(`  render died (exit code ${e.data.exitCode}); its last stderr line: "${e.data.stderrTail.at(-1)}"`);
  } else throw e;
}
say(`  hello still answers → ${await helloP.execute({ name: 'Grace' })}`);
await renderP.restart();
say(`  render restarted as pid ${renderP.pid} → ${JSON.stringify(await renderP.execute({ frames: 2 }))}`);

say('\n6. per-worker telemetry');
for (const p of all) {
  const s = await p.stats();
  say(
    `  ${p.info.name.padEnd(13)} pid ${String(s.pid).padEnd(8)} rss ${(s.rssBytes / 2 ** 20).toFixed(1).padStart(6)} MiB  calls ${s.calls}`,
  );
}
say(`\n  transcribe's own log: ${transcribeP.logs().find((l) => l.source === 'plugin')?.message}`);

await Promise.all(all.map((p) => p.stop()));

say('\n7. many plugins and durable jobs: the manager and the job queue (SQLite, in a temp home)');
const home = mkdtempSync(join(tmpdir(), 'bulkhead-demo-'));
const pluginsDir = join(home, 'plugins');
for (const [name, resources] of [
  ['hello', { memoryMB: 128 }],
  ['render', { memoryMB: 256 }],
] as const) {
  mkdirSync(join(pluginsDir, name), { recursive: true });
  const manifest = { manifestVersion: 1, name, version: '1.0.0', entry: at(name), resources };
  writeFileSync(join(pluginsDir, name, 'bulkhead-plugin.json'), JSON.stringify(manifest));
}
const manager = new PluginManager({ home, liveness: { pingIntervalMs: 0 } });
const found = await manager.discover();
say(`  discovered ${found.plugins.map((p) => p.manifest.name).join(', ')} under ${pluginsDir}`);
const queue = await JobQueue.open({ manager });
const low = await queue.submit('render', { frames: 5 }, { priority: 0 });
const high = await queue.submit('render', { frames: 5 }, { priority: 9 });
const doomed = await queue.submit('render', { frames: 50 });
const greeting = await queue.submit('hello', { name: 'Linus' });
say(`  submitted 4 jobs (stored before submit returned); before start: ${(await queue.explain(low)).message}`);
await queue.cancel(doomed);
await queue.start();
const [lowJob, highJob, helloJob] = await Promise.all([queue.wait(low), queue.wait(high), queue.wait(greeting)]);
say(
  `  priority 9 ran before priority 0: ${(highJob.startedAt ?? 0) <= (lowJob.startedAt ?? 0)}; hello → ${helloJob.result}`,
);
say(`  timeline of the low job: ${lowJob.timeline.map((e) => e.type).join(' → ')}`);
say(`  the cancelled one: ${(await queue.get(doomed)).status}`);
await queue.stop();
await manager.close();
rmSync(home, { recursive: true, force: true });
say('\nall workers stopped. Next: README.md → "Write a plugin".');
