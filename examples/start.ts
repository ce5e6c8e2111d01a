/**
 * `npm start`: install the example plugins (once; unchanged ones are skipped), then run
 * `bulkhead serve` on its defaults with a few demo jobs queued, and print the dashboard's URL.
 * Ctrl-C stops everything. The home is `.bulkhead-demo/` in the repository (or BULKHEAD_HOME).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBulkheadError } from 'bulkhead';
import { type BulkheadServer, DEFAULT_PORT, serve } from 'bulkhead/server';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const home = process.env.BULKHEAD_HOME ?? join(repo, '.bulkhead-demo');
const bin = join(repo, 'packages', 'host', 'bin', 'bulkhead.js');
const say = (line: string) => process.stdout.write(`${line}\n`);

say(`Installing the example plugins into ${home} (each in its own environment; skipped when unchanged)…`);
const install = spawnSync(process.execPath, [bin, '--home', home, 'install', join(repo, 'examples', 'plugins.yaml')], {
  stdio: 'inherit',
});
if (install.status !== 0) process.exit(install.status ?? 1);

let server: BulkheadServer;
try {
  server = await serve({ home, port: Number(process.env.PORT ?? DEFAULT_PORT) });
} catch (e) {
  // Another program has the default port: take any free one rather than fail the demo.
  if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
  server = await serve({ home, port: 0 });
}

// Demo jobs, all on `countdown` (one at a time: its manifest's concurrency is 1), so the jobs
// page shows each kind: one fails fast, one streams progress, one waits for memory this machine
// does not have free, one is long enough to cancel from the page. And one quick `hello`.
const { client } = server;
const { system } = await client.system();
const waitingMB = Math.ceil(system.memory.availableMB + (system.memory.totalMB - system.memory.availableMB) / 2);
const demo = [
  client.submit('countdown', { from: 50 }, { priority: 30, timeout: 500 }),
  client.submit('countdown', { from: 300 }, { priority: 20 }),
  client.submit('countdown', { from: 20 }, { priority: 10, resources: { memoryMB: waitingMB } }),
  client.submit('countdown', { from: 100_000 }, { priority: 0 }),
  client.submit('hello', { name: 'Ada' }),
];
for (const r of await Promise.allSettled(demo)) {
  if (r.status === 'rejected')
    say(`  (a demo job was refused: ${isBulkheadError(r.reason) ? r.reason.code : ''} ${r.reason})`);
}

say('');
say(`Bulkhead is serving ${home}`);
say(`  dashboard:  ${server.urlWithToken}`);
say(
  `  API:        ${server.url}api/openapi.json  (Authorization: Bearer <token in ${join(home, 'run', 'server-token')}>)`,
);
say(`  CLI:        BULKHEAD_HOME=${home} npx bulkhead jobs`);
say('Ctrl-C stops it (running jobs go back to the queue for next time).');

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(130);
    stopping = true;
    say('\nstopping…');
    void server.close().then(() => process.exit(0));
  });
}
