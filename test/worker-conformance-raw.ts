/**
 * The conformance suite's bare-channel part: what PluginProcess never sends (requests before the
 * handshake, unknown methods, another major version, garbage, end of file), sent to a worker
 * spawned by hand with fd 3 as a raw channel.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { Channel, type Message, PROTOCOL_VERSION } from '@bulkhead/sdk/protocol';

export interface RawRuntime {
  name: string;
  /** The worker's command line, running the conformance plugin. */
  command: string[];
  env?: Record<string, string>;
  skip: string | false;
}

function rawWorker(rt: RawRuntime, env: Record<string, string> = {}) {
  const [file, ...args] = rt.command as [string, ...string[]];
  const child: ChildProcess = spawn(file, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, BULKHEAD_PROCESS_GROUP: undefined, ...rt.env, ...env },
  });
  const socket = child.stdio[3] as unknown as Socket;
  const answers = new Map<number, (m: Message) => void>();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdout?.resume();
  const channel = new Channel(socket, 1 << 20, {
    onMessage: (m) => {
      const id = (m as { id?: number }).id;
      if (id !== undefined && !('method' in m)) answers.get(id)?.(m);
    },
    onProtocolError: () => {},
    onClose: () => {},
  });
  const exited = new Promise<{ code: number | null }>((resolve) => child.once('exit', (code) => resolve({ code })));
  let nextId = 1;
  return {
    child,
    socket,
    exited,
    stderr: () => stderr,
    request(method: string, params: unknown = {}) {
      const id = nextId++;
      return new Promise<{ result?: unknown; error?: { code: string; message: string; data?: unknown } }>((resolve) => {
        answers.set(id, resolve as (m: Message) => void);
        channel.send({ id, method, params });
      });
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export function rawConformanceSuite(rt: RawRuntime): void {
  describe(`worker conformance on a bare channel: ${rt.name}`, { skip: rt.skip }, () => {
    test('before the handshake only ERR_PROTOCOL; unknown methods ERR_METHOD_NOT_FOUND; one initialize', async () => {
      const w = rawWorker(rt);
      try {
        assert.equal((await w.request('ping')).error?.code, 'ERR_PROTOCOL');
        const init = await w.request('initialize', { protocolVersion: PROTOCOL_VERSION });
        assert.equal((init.result as { name?: string }).name, 'conformance');
        const unknown = await w.request('frobnicate');
        assert.equal(unknown.error?.code, 'ERR_METHOD_NOT_FOUND');
        assert.match(unknown.error?.message ?? '', /frobnicate/);
        assert.equal(
          (await w.request('initialize', { protocolVersion: PROTOCOL_VERSION })).error?.code,
          'ERR_PROTOCOL',
        );
        assert.deepEqual((await w.request('ping')).result, {});
      } finally {
        await w.kill();
      }
    });

    test('a host of another major version is answered ERR_PROTOCOL_VERSION naming both', async () => {
      const w = rawWorker(rt);
      try {
        const init = await w.request('initialize', { protocolVersion: '9.0' });
        assert.equal(init.error?.code, 'ERR_PROTOCOL_VERSION');
        const data = init.error?.data as { host: string; worker: string };
        assert.equal(data.host, '9.0');
        assert.equal(data.worker, PROTOCOL_VERSION);
      } finally {
        await w.kill();
      }
    });

    test('a frame over BULKHEAD_MAX_FRAME_BYTES: a line on stderr, exit code 70', async () => {
      const w = rawWorker(rt, { BULKHEAD_MAX_FRAME_BYTES: '1024' });
      const header = Buffer.alloc(8);
      header.writeUInt32BE(4096, 0);
      header.writeUInt32BE(2, 4);
      w.socket.write(header);
      assert.equal((await w.exited).code, 70);
      assert.match(w.stderr(), /protocol/i);
    });

    test('end of file on fd 3 ends the worker (code 0)', async () => {
      const w = rawWorker(rt);
      await w.request('initialize', { protocolVersion: PROTOCOL_VERSION });
      w.socket.end();
      assert.equal((await w.exited).code, 0);
    });
  });
}
