/**
 * The server's token. Every request must carry it, on loopback too: any local process (or a web
 * page the user visits, through DNS rebinding) can reach 127.0.0.1, so reaching the port cannot be
 * the whole of the authentication the way reaching the control socket's file is.
 *
 * A request carries it as `Authorization: Bearer <token>`, as the `bulkhead_token` cookie (which
 * the dashboard gets, HttpOnly, when it is first opened with `?token=`), or as `?token=` itself.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_COOKIE = 'bulkhead_token';

/** `<home>/run/server-token`: the same token across restarts, so a saved URL keeps working. */
export function tokenPath(home: string): string {
  return join(home, 'run', 'server-token');
}

/**
 * The home's token, made (32 random bytes, hex) if there is none. The file is 0600 and its
 * directory 0700; a file found with a wider mode is narrowed, since it may have been copied in.
 */
export function loadOrCreateToken(home: string): string {
  const dir = join(home, 'run');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = tokenPath(home);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(token)) {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return token;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = randomBytes(32).toString('hex');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

/** The token a request presents, from the header, the cookie or the query, in that order. */
export function presentedToken(headers: Record<string, string | string[] | undefined>, url: string): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const cookie = headers.cookie;
  if (typeof cookie === 'string') {
    const m = new RegExp(`(?:^|;\\s*)${TOKEN_COOKIE}=([^;]*)`).exec(cookie);
    if (m?.[1]) return decodeURIComponent(m[1]);
  }
  const q = url.indexOf('?');
  if (q >= 0) {
    const token = new URLSearchParams(url.slice(q + 1)).get('token');
    if (token) return token;
  }
  return null;
}

/** Constant-time comparison, so the token cannot be guessed a byte at a time from response times. */
export function tokenMatches(presented: string | null, token: string): boolean {
  if (presented === null) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The cookie that keeps the page signed in: HttpOnly (page scripts never see it), same-site only. */
export function tokenCookie(token: string, secure: boolean): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
}
