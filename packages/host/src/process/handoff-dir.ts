/**
 * The private directory through which one worker and the host hand files over (docs/protocol.md
 * 3.1). Made per launch, mode 0700, in RAM where the machine has a writable /dev/shm (a handoff is
 * then a memory copy, not disk traffic), else in the temp directory; removed with whatever is
 * left in it when the worker exits, so a crash mid-handoff leaks nothing.
 * @module
 */
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let base: string | undefined;

/** Where handoff directories are made (a permission-limited worker may use it: node-permissions.ts). */
export function handoffBase(): string {
  if (base !== undefined) return base;
  base = tmpdir();
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', constants.W_OK);
      base = '/dev/shm';
    }
  } catch {
    // no /dev/shm (macOS) or not writable: the temp directory
  }
  return base;
}

/** Makes a fresh handoff directory; `dispose` removes it and its files (idempotent). */
export function makeHandoffDir(parent?: string): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(parent ?? handoffBase(), 'bulkhead-handoff-'));
  let gone = false;
  return {
    dir,
    dispose: () => {
      if (gone) return;
      gone = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
