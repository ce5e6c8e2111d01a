/**
 * `bulkhead serve`: run the home's queue and plugins until stopped, with the control socket (every
 * other `bulkhead` command attaches to it) and the HTTP API and dashboard (docs/server.md).
 * @module
 */
import type { CommandContext } from '../context.js';
import { interrupted } from '../session.js';

export interface ServeFlags {
  port: number;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  insecure?: boolean;
}

export async function serveCommand(ctx: CommandContext, flags: ServeFlags): Promise<number> {
  const { serve } = await import('../../server/serve.js');
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    const { usage } = await import('../cli-error.js');
    throw usage('--tls-cert and --tls-key go together');
  }
  const server = await serve({
    home: ctx.home,
    env: ctx.env,
    port: flags.port,
    host: flags.host,
    insecure: flags.insecure ?? false,
    ...(flags.tlsCert && flags.tlsKey ? { tls: { certFile: flags.tlsCert, keyFile: flags.tlsKey } } : {}),
  });
  const stop = interrupted(() => ctx.out.note('stopping: no new jobs; running jobs go back to the queue'));
  try {
    // The readiness line: a supervisor (or a test) waits for it; the URL carries the token once.
    if (ctx.out.json) {
      process.stdout.write(
        `${JSON.stringify({ ready: true, url: server.url, urlWithToken: server.urlWithToken, port: server.port, controlSocket: server.controlSocket, pid: process.pid })}\n`,
      );
    } else {
      process.stdout.write(`Bulkhead is serving ${ctx.home} at ${server.urlWithToken}\n`);
    }
    await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    await server.close();
    return 0;
  } finally {
    stop.dispose();
  }
}
