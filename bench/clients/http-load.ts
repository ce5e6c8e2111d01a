/**
 * Child process of the server benchmark: `concurrency` clients, each submitting a no-op job over
 * HTTP and awaiting its end (one shared event stream tells them), `total` jobs in all. Prints
 * `{ ms }` for the whole run on stdout.
 * @module
 */
import { BulkheadClient } from 'bulkhead/client';

const url = process.argv[2] as string;
const plugins = (process.argv[3] as string).split(',');
const concurrency = Number(process.argv[4]);
const total = Number(process.argv[5]);
const bh = new BulkheadClient({ url });

const ended = new Set<string>();
const waiting = new Map<string, () => void>();
const stop = new AbortController();
const events = (async () => {
  for await (const e of bh.events({ signal: stop.signal })) {
    if (e.type !== 'job' || (e.data.status !== 'completed' && e.data.status !== 'failed')) continue;
    const resolve = waiting.get(e.data.id);
    if (resolve) {
      waiting.delete(e.data.id);
      resolve();
    } else ended.add(e.data.id); // ended before its submit answered
  }
})();
const ended0 = async (id: string) => {
  if (ended.delete(id)) return;
  await new Promise<void>((r) => waiting.set(id, r));
};
// The stream is up once a job's end is seen through it; until then warm-up jobs may end unseen.
for (let seen = false, tries = 0; !seen; tries++) {
  if (tries === 50) throw new Error('the event stream never delivered a job end');
  const id = await bh.submit(plugins[0] as string, {});
  seen = await Promise.race([
    ended0(id).then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 500)),
  ]);
}

let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      await ended0(await bh.submit(plugins[i % plugins.length] as string, { i }));
    }
  }),
);
const ms = performance.now() - t0;
stop.abort();
await events.catch(() => {});
process.stdout.write(`${JSON.stringify({ ms })}\n`, () => process.exit(0));
