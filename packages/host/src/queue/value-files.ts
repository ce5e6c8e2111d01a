/**
 * Large job values live as files beside the job database, not inside it: an encoded input or
 * result above a threshold is written to `<home>/jobs.files/<job id>.<input|result>` and the store
 * keeps a small stub naming it. Three large image jobs would otherwise grow jobs.db by hundreds of
 * megabytes, which SQLite never gives back, and every read of the row would carry them.
 *
 * The stub cannot be mistaken for an encoded value: those begin with a 4-byte header length below
 * 16 MiB, so a first byte of 0xff never starts one. Files whose job is gone (pruned, or a submit
 * that never committed) are removed by {@link ValueFiles.sweep}, which the queue runs after pruning.
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';

/** 0xff 'B' 'H' 'F': a value kept in a file. The SQLite store's byte-retention query reads it too. */
export const FILE_STUB_MAGIC = Buffer.from([0xff, 0x42, 0x48, 0x46]);

/** Default threshold: values whose encoding is larger go to files. */
export const DEFAULT_LARGE_VALUE_BYTES = 1024 * 1024;

interface Stub {
  file: string;
  bytes: number;
}

export class ValueFiles {
  readonly dir: string;
  readonly threshold: number;
  #dirReady: Promise<void> | null = null;
  /** Files written whose store write has not finished yet: a sweep must not take them for orphans. */
  readonly #unsettled = new Set<string>();

  constructor(dir: string, threshold = DEFAULT_LARGE_VALUE_BYTES) {
    this.dir = dir;
    this.threshold = threshold;
  }

  /**
   * What the store should keep for `encoded`: itself, or (above the threshold) a stub naming a
   * file written and fsync'd first, so a job the store has committed always finds its value.
   */
  async keep(jobId: string, kind: 'input' | 'result', encoded: Uint8Array): Promise<Uint8Array> {
    if (encoded.byteLength <= this.threshold) return encoded;
    this.#dirReady ??= this.#makeDir();
    await this.#dirReady;
    const file = `${jobId}.${kind}`;
    this.#unsettled.add(file);
    const handle = await open(join(this.dir, file), 'w', 0o600);
    try {
      await handle.writeFile(encoded);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const stub: Stub = { file, bytes: encoded.byteLength };
    return Buffer.concat([FILE_STUB_MAGIC, Buffer.from(JSON.stringify(stub))]);
  }

  /** The encoded value the store's bytes stand for (read from its file if they are a stub). */
  load(stored: Uint8Array): Uint8Array {
    if (!isStub(stored)) return stored;
    const stub = stubOf(stored);
    try {
      return readFileSync(join(this.dir, stub.file));
    } catch (e) {
      throw new BulkheadError(
        'ERR_STORE_UNAVAILABLE',
        `a job value kept as a file is missing: ${join(this.dir, stub.file)} (${(e as NodeJS.ErrnoException).code ?? e})`,
        { file: join(this.dir, stub.file), reason: 'value-file-missing' },
      );
    }
  }

  /** The store write that took (or refused) `stored` has finished: a sweep may judge its file now. */
  settled(stored: Uint8Array | null | undefined): void {
    if (stored && isStub(stored)) this.#unsettled.delete(stubOf(stored).file);
  }

  /** Removes `<job id>.*` files whose job `exists` says is gone; returns how many files went. */
  async sweep(exists: (id: string) => Promise<boolean>): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    const ids = new Map<string, string[]>();
    for (const name of names) {
      if (this.#unsettled.has(name)) continue;
      const id = name.slice(0, name.lastIndexOf('.'));
      if (id === '') continue;
      ids.set(id, [...(ids.get(id) ?? []), name]);
    }
    let removed = 0;
    for (const [id, files] of ids) {
      if (await exists(id)) continue;
      for (const f of files) {
        await rm(join(this.dir, f), { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Drops the file of a value that the store never took (a repeated idempotency key). */
  async discard(stored: Uint8Array): Promise<void> {
    if (!isStub(stored)) return;
    const stub = stubOf(stored);
    this.#unsettled.delete(stub.file);
    await rm(join(this.dir, stub.file), { force: true });
  }

  async #makeDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // The directory entry itself must survive a power cut, or a committed job could lose its file.
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

export function isStub(stored: Uint8Array): boolean {
  return stored.byteLength > 4 && FILE_STUB_MAGIC.equals(stored.subarray(0, 4));
}

function stubOf(stored: Uint8Array): Stub {
  return JSON.parse(Buffer.from(stored.subarray(4)).toString('utf8')) as Stub;
}
