import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { test } from 'node:test';
import { isBulkheadError } from '@bulkhead/sdk';
import { sourceFixture } from '../helpers.js';
import { testServer } from '../server-helpers.js';

const tls = { certFile: sourceFixture('tls', 'cert.pem'), keyFile: sourceFixture('tls', 'key.pem') };
const ca = readFileSync(tls.certFile);

function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('with --tls-cert/--tls-key: HTTPS, the token still required, the cookie Secure', async () => {
  await using server = await testServer({ tls });
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal((await get(`${server.url}api/health`)).status, 401);
  const ok = await get(`${server.url}api/health`, { authorization: `Bearer ${server.token}` });
  assert.equal(ok.status, 200);
  const page = await get(server.urlWithToken);
  assert.equal(page.status, 303);
  assert.match(String(page.headers['set-cookie']), /HttpOnly; SameSite=Strict; Path=\/; Secure/);
});

test('beyond loopback: refused over plain HTTP (ERR_INSECURE_BIND) before anything is opened', async () => {
  for (const host of ['0.0.0.0', '192.0.2.1', '::']) {
    try {
      await testServer({ host });
      assert.fail(`listened on ${host}`);
    } catch (e) {
      assert.ok(isBulkheadError(e, 'ERR_INSECURE_BIND'), String(e));
      assert.deepEqual(e.data, { host });
    }
  }
});
