/**
 * What a worker's death says, read from its stderr as it comes: a V8 heap OOM (with the heap's
 * peak from the GC lines V8 prints before it aborts) or a Python MemoryError becomes
 * ERR_WORKER_OOM; an uncaught error's message and stack become the summary instead of the last
 * stderr line (which is `Node.js v24…`, or the 16th frame of V8's native stack trace). The lines
 * are watched one by one because the telling ones may be far above the tail that is kept.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';

const OOM = /JavaScript heap out of memory|Reached heap limit|Allocation failed - process out of memory|^MemoryError\b/;
/** `[pid:0x…]  512 ms: Mark-Compact 30.1 (33.5) -> 29.9 (33.7) MB, …`: heap used (committed). */
const GC = /: (?:Mark-Compact|Scavenge|Mark-Sweep|Mark-sweep)\b[^\d]*([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/;
const MAX_STACK_LINES = 40;

export class ExitNotes {
  #oom = false;
  #peakMB: number | null = null;
  #previous = '';
  #uncaught: string[] | null = null;
  #python: string[] | null = null;

  /** One line of the worker's stderr. */
  see(line: string): void {
    if (OOM.test(line)) this.#oom = true;
    const gc = GC.exec(line);
    if (gc) this.#peakMB = Math.max(this.#peakMB ?? 0, Number(gc[1]), Number(gc[3]));
    if (line.startsWith('Traceback (most recent call last):')) this.#python = [line];
    else if (this.#python !== null && this.#python.length < MAX_STACK_LINES) this.#python.push(line);
    if (/^\s+at /.test(line)) {
      if (!/^\s+at /.test(this.#previous)) this.#uncaught = [this.#previous];
      if (this.#uncaught !== null && this.#uncaught.length < MAX_STACK_LINES) this.#uncaught.push(line);
    }
    this.#previous = line;
  }

  /**
   * The error for a worker that exited by itself (not stopped), or null for the generic one.
   * `heapLimitMB`: the worker's `--max-old-space-size`, when it was given one.
   */
  error(exit: {
    exitCode: number | null;
    signal: string | null;
    stderrTail: string[];
    heapLimitMB: number | null;
  }): BulkheadError | null {
    const { exitCode, signal, stderrTail } = exit;
    const how = signal ? `signal ${signal}` : `code ${exitCode}`;
    if (this.#oom) {
      const limit =
        exit.heapLimitMB === null ? "Node's default heap limit" : `its heap limit of ${exit.heapLimitMB} MB`;
      const peak = this.#peakMB === null ? '' : `, peak ${this.#peakMB} MB`;
      return new BulkheadError('ERR_WORKER_OOM', `worker ran out of memory (${limit}${peak}); it exited with ${how}`, {
        limitMB: exit.heapLimitMB,
        peakMB: this.#peakMB,
        exitCode,
        signal,
        stderrTail,
      });
    }
    const stack = this.#uncaughtStack();
    // Only a trace at the very end is what killed it; one logged earlier was handled.
    if (stack === null || !stderrTail.includes(stack.lines[0] ?? '')) return null;
    const message = stack.message;
    return new BulkheadError('ERR_WORKER_EXITED', `worker exited with ${how}: ${message}`, {
      exitCode,
      signal,
      stderrTail,
      uncaught: { message, stack: stack.lines.join('\n') },
    });
  }

  #uncaughtStack(): { message: string; lines: string[] } | null {
    if (this.#python !== null) {
      const last = this.#python.filter((l) => l.trim() !== '' && !/^\s/.test(l)).at(-1);
      if (last !== undefined && last !== this.#python[0]) return { message: last, lines: this.#python };
    }
    const header = this.#uncaught?.[0]?.trim();
    if (this.#uncaught !== null && header) return { message: header, lines: this.#uncaught };
    return null;
  }
}

/** The `--max-old-space-size` (MB) among a worker's Node flags, or null. */
export function heapLimitOf(execArgv: readonly string[] | undefined): number | null {
  for (const a of execArgv ?? []) {
    const m = /^--max-old-space-size=(\d+)$/.exec(a);
    if (m) return Number(m[1]);
  }
  return null;
}
