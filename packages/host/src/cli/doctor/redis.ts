/**
 * The `redis` check, when the queue is on Redis (`queue.redis` in config.yaml, or
 * `BULKHEAD_REDIS_URL`): connect, authenticate, PING, then `INFO` for the server's version (BullMQ
 * needs 6.2 or later) and its `maxmemory-policy` (BullMQ needs `noeviction`: any other policy may
 * evict queued jobs when memory fills). It speaks the few lines of RESP it needs over a plain
 * socket, so doctor needs no Redis client.
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { type DoctorContext, errorCode, fail, firstLine, type Outcome, ok, skip, warn } from './check.js';

interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  /** `AUTH` and its arguments; empty without a password. */
  auth: string[];
  /** host:port for messages: never the password. */
  where: string;
}

/** BullMQ 6 runs its scripts on Redis 6.2 and later. */
const MIN_VERSION: [number, number] = [6, 2];

export async function checkRedis(ctx: DoctorContext): Promise<Outcome> {
  const raw = await configuredUrl(ctx);
  if (raw === undefined || raw === '')
    return skip('not configured (neither queue.redis in config.yaml nor BULKHEAD_REDIS_URL is set)');
  const target = parseRedisUrl(raw);
  if (target !== undefined) return pingRedis(target, ctx.timeoutMs);
  return fail(
    'BULKHEAD_REDIS_URL is not a redis:// URL',
    'set BULKHEAD_REDIS_URL=redis://[user:password@]host:port[/db]',
  );
}

/** The variable, else the home's config.yaml (a config that does not load is the `config` check's to report). */
async function configuredUrl(ctx: DoctorContext): Promise<string | undefined> {
  const fromEnv = ctx.env.BULKHEAD_REDIS_URL;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  try {
    const { loadHostConfig } = await import('../../config/host-config.js');
    const config = await loadHostConfig(ctx.home, {});
    const url = config.values['queue.redis'];
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
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
    let pong = 0;
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        if (pong > 0 && line.startsWith('$')) {
          // INFO's answer: a bulk string of `$length`, then that many bytes.
          const length = Number(line.slice(1));
          if (buffered.length < end + 2 + length + 2) break;
          const info = buffered.slice(end + 2, end + 2 + length);
          return finish(judgeInfo(where, info, pong));
        }
        buffered = buffered.slice(end + 2);
        if (line.startsWith('-')) {
          // A server without INFO (a proxy that allows little): PING was enough to reach it.
          if (pong > 0) return finish(ok(`PONG from ${where} in ${pong} ms (INFO refused: ${line.slice(1, 80)})`));
          return finish(redisError(where, line.slice(1), awaitingAuth));
        }
        if (awaitingAuth && line.startsWith('+')) {
          awaitingAuth = false;
        } else if (line === '+PONG') {
          pong = Math.max(1, Math.round(performance.now() - started));
          socket.write('INFO\r\n');
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

/** The server's version and eviction policy, from INFO's `redis_version` and `maxmemory_policy`. */
function judgeInfo(where: string, info: string, pongMs: number): Outcome {
  const version = /^redis_version:(\S+)/m.exec(info)?.[1];
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  const [major = 0, minor = 0] = (version ?? '0').split('.').map(Number);
  if (version !== undefined && (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1]))) {
    return fail(
      `Redis ${version} at ${where} is older than ${MIN_VERSION.join('.')}, which BullMQ needs`,
      `upgrade Redis at ${where} to ${MIN_VERSION.join('.')} or later`,
    );
  }
  const seen = `Redis ${version ?? '(version not reported)'} at ${where}, PONG in ${pongMs} ms`;
  if (policy !== undefined && policy !== 'noeviction') {
    return warn(
      `${seen}; maxmemory-policy is ${policy}: when memory fills, Redis may evict queued jobs`,
      `set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction), as BullMQ needs`,
    );
  }
  return ok(`${seen}, maxmemory-policy ${policy ?? 'not reported'}`);
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
