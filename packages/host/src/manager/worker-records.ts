/**
 * Which workers this home's hosts started, one small file each under `<home>/run/workers/`, so the
 * next manager can end the ones a dead host left behind. A worker notices its host's death by
 * itself (fd 3 closes, and a parent check backs that up), except when it cannot run: a worker
 * that was stopped (SIGSTOP) when its host was killed stays stopped for ever, an orphan holding
 * its memory. The record names worker and host by identity (pid, boot, start time), so only a
 * worker whose own host is gone is killed, and never a process that merely reused its pid.
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { identify, isRunning, type ProcessIdentity } from '../process/process-identity.js';

interface WorkerRecord {
  worker: ProcessIdentity;
  host: ProcessIdentity;
}

export class WorkerRecords {
  readonly #dir: string;

  constructor(home: string) {
    this.#dir = join(home, 'run', 'workers');
  }

  /** Best effort: a full disk must not keep a worker from starting. */
  record(pid: number | undefined): void {
    if (pid === undefined) return;
    const file = join(this.#dir, `${pid}.json`);
    try {
      mkdirSync(this.#dir, { recursive: true });
      const record: WorkerRecord = { worker: identify(pid), host: identify(process.pid) };
      writeFileSync(`${file}.tmp`, JSON.stringify(record));
      renameSync(`${file}.tmp`, file);
    } catch {
      rmSync(`${file}.tmp`, { force: true });
    }
  }

  forget(pid: number | undefined): void {
    if (pid !== undefined) rmSync(join(this.#dir, `${pid}.json`), { force: true });
  }

  /** Kills (with its group) every recorded worker whose host no longer runs; returns how many. */
  sweep(): number {
    let names: string[];
    try {
      names = readdirSync(this.#dir).filter((n) => n.endsWith('.json'));
    } catch {
      return 0;
    }
    let killed = 0;
    for (const name of names) {
      const file = join(this.#dir, name);
      let record: WorkerRecord;
      try {
        record = JSON.parse(readFileSync(file, 'utf8')) as WorkerRecord;
      } catch {
        rmSync(file, { force: true });
        continue;
      }
      if (!Number.isInteger(record?.worker?.pid) || !Number.isInteger(record?.host?.pid)) {
        rmSync(file, { force: true });
        continue;
      }
      if (isRunning(record.host)) continue; // its host still runs and looks after it
      // Without a start time (off Linux) a live pid may be someone else's now: leave it alone.
      if (record.worker.procStart !== null && isRunning(record.worker)) {
        try {
          process.kill(-record.worker.pid, 'SIGKILL'); // its group: helpers it started too
          killed++;
        } catch {
          // gone meanwhile
        }
      }
      rmSync(file, { force: true });
    }
    return killed;
  }
}
