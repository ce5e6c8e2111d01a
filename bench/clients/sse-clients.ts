/**
 * Child process of the sse benchmark: `n` event-stream clients of one server, each timing every
 * progress event from the moment the plugin sent it (its message) to receipt here, until the job
 * `id` ends. Prints `{ count, p50, p99 }` in ms (all clients together) on stdout.
 * @module
 */
import { BulkheadClient } from 'bulkhead/client';
import { percentile } from '../stats.js';

const [url, n, ready] = [process.argv[2] as string, Number(process.argv[3]), process.argv[4] as string];
const latencies: number[] = [];
const clients = Array.from({ length: n }, () => new BulkheadClient({ url }));
let jobId: string | null = null;
const done = clients.map(async (c) => {
  const stop = new AbortController();
  for await (const e of c.events({ signal: stop.signal })) {
    if (e.type === 'progress') {
      const sent = Number(e.data.message);
      if (Number.isFinite(sent)) latencies.push(performance.timeOrigin + performance.now() - sent);
    } else if (e.type === 'job' && e.data.status === 'completed' && (jobId === null || e.data.id === jobId)) {
      stop.abort();
    }
  }
});
// The parent starts the job once every stream is attached; it says which job on stdin.
process.stdout.write(`${ready}\n`);
process.stdin.once('data', (d) => {
  jobId = d.toString().trim();
});
await Promise.all(done);
const summary = { count: latencies.length, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
// Exit once the line is written: a pipe takes it asynchronously.
process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(0));
