/**
 * The `redis` check, when `BULKHEAD_REDIS_URL` is set: connect, authenticate, PING. It speaks the
 * few lines of RESP it needs over a plain socket, so doctor needs no Redis client.
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { type DoctorContext, errorCode, fail, firstLine, type Outcome, ok, skip } from './check.js';

interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  /** `AUTH` and its arguments; empty without a password. */
  auth: string[];
  /** host:port for messages: never the password. */
  where: string;
}

export async function checkRedis(ctx: DoctorContext): Promise<Outcome> {
  const raw = ctx.env.BULKHEAD_REDIS_URL;
  if (raw === undefined || raw === '') return skip('not configured (BULKHEAD_REDIS_URL is not set)');
  const target = parseRedisUrl(raw);
  if (target !== undefined) return pingRedis(target, ctx.timeoutMs);
  return fail(
    'BULKHEAD_REDIS_URL is not a redis:// URL',
    'set BULKHEAD_REDIS_URL=redis://[user:password@]host:port[/db]',
  );
}

function parseRedisUrl(raw: string): RedisTarget | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') return undefined;
  const port = url.port === '' ? 6379 : Number(url.port);
  const user = decodeURIComponent(url.username);
  const auth = url.password === '' ? [] : ['AUTH', ...(user === '' ? [] : [user]), decodeURIComponent(url.password)];
  // URL keeps an IPv6 host in brackets; net.connect wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, tls: url.protocol === 'rediss:', auth, where: `${url.hostname}:${port}` };
}

/**
 * Connects, authenticates if the URL has a password, and sends PING: AUTH as a RESP array, so a
 * password may hold spaces, and PING inline. Resolves (never rejects) with the outcome.
 */
function pingRedis(target: RedisTarget, timeoutMs: number): Promise<Outcome> {
  const { where, auth } = target;
  const started = performance.now();
  const correct = 'correct BULKHEAD_REDIS_URL';
  return new Promise((done) => {
    const socket: Socket = target.tls
      ? tlsConnect({ host: target.host, port: target.port, servername: target.host })
      : netConnect({ host: target.host, port: target.port });
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(outcome);
    };
    const timer = setTimeout(() => {
      const fix = `check that Redis runs at ${where} and that no firewall drops the connection`;
      finish(fail(`no answer from ${where} within ${timeoutMs} ms`, fix));
    }, timeoutMs);
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      socket.write(`${auth.length > 0 ? resp(auth) : ''}PING\r\n`);
    });
    let awaitingAuth = auth.length > 0;
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (line.startsWith('-')) return finish(redisError(where, line.slice(1), awaitingAuth));
        if (awaitingAuth && line.startsWith('+')) {
          awaitingAuth = false;
        } else if (line === '+PONG') {
          return finish(ok(`PONG from ${where} in ${Math.round(performance.now() - started)} ms`));
        } else {
          return finish(fail(`${where} answered ${JSON.stringify(line.slice(0, 60))}, which is not Redis`, correct));
        }
      }
      // Not Redis, and no line end in sight: do not buffer forever.
      if (buffered.length > 4096) finish(fail(`${where} does not speak the Redis protocol`, correct));
    });
    socket.on('error', (e) => {
      const code = errorCode(e);
      if (code === 'ECONNREFUSED')
        return finish(fail(`connection to ${where} refused`, `start Redis at ${where}, or ${correct}`));
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
        return finish(fail(`cannot resolve ${target.host} (${code})`, correct));
      finish(fail(`connection to ${where} failed: ${code ?? firstLine(e)}`, `check that Redis runs at ${where}`));
    });
    socket.on('close', () => finish(fail(`${where} closed the connection without answering PING`, correct)));
  });
}

function redisError(where: string, message: string, duringAuth: boolean): Outcome {
  if (message.startsWith('NOAUTH')) {
    return fail(
      `${where} requires a password (${message})`,
      'put it in the URL: BULKHEAD_REDIS_URL=redis://:PASSWORD@host:port',
    );
  }
  if (duringAuth || message.startsWith('WRONGPASS')) {
    return fail(`${where} refused the credentials (${message})`, 'correct the user and password in BULKHEAD_REDIS_URL');
  }
  return fail(`${where} answered PING with an error: ${message}`, `check the Redis server at ${where}`);
}

/** A command as a RESP array of bulk strings. */
function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}
