/**
 * How the CLI talks: results on stdout, progress and errors on stderr. Colour, spinners and bars
 * only when stderr is a terminal; otherwise plain appended lines that read well in CI logs. With
 * `--json`, stdout carries exactly one JSON document (or one object per line for streams) and
 * stderr only errors.
 * @module
 */
import { stripVTControlCharacters, styleText } from 'node:util';
// Bytes print as the control socket carries them ({"$bytes": base64}): one encoding, and it round-trips.
import { toWire } from '../control/wire.js';
import type { LogEntry } from '../process/log-buffer.js';

type Style = Parameters<typeof styleText>[0];

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  /** stderr is a terminal: draw bars and colour. */
  readonly tty: boolean;
  readonly #out: NodeJS.WriteStream;
  readonly #err: NodeJS.WriteStream;
  readonly #colour: boolean;
  /** A status line is drawn on stderr and must be cleared before anything else is written there. */
  #status = false;

  constructor(options: OutputOptions = {}) {
    const env = options.env ?? process.env;
    this.json = options.json ?? false;
    this.verbose = options.verbose ?? false;
    this.#out = options.stdout ?? process.stdout;
    this.#err = options.stderr ?? process.stderr;
    this.tty = this.#err.isTTY === true && env.TERM !== 'dumb';
    // Node's own rules for the stream we draw on (NO_COLOR, FORCE_COLOR, TERM, a generic CI=true
    // means no colour). styleText below must not re-decide from stdout, which may be a pipe.
    this.#colour = this.tty && env.NO_COLOR === undefined && (this.#err.hasColors?.(env) ?? false);
  }

  style(format: Style, text: string): string {
    return this.#colour ? styleText(format, text, { validateStream: false }) : text;
  }

  /** The command's result, for people: a line of stdout. Ignored in JSON mode. */
  line(text = ''): void {
    if (!this.json) this.#out.write(`${text}\n`);
  }

  /** The command's result, for machines: one JSON document on stdout. */
  document(value: unknown): void {
    this.#out.write(`${JSON.stringify(toWire(value), null, 2)}\n`);
  }

  /** One object of a stream (`run --stream --json`, `logs -f --json`): one line each. */
  record(value: unknown): void {
    this.#out.write(`${JSON.stringify(toWire(value))}\n`);
  }

  /** A note about progress, on stderr; silent in JSON mode. */
  note(text: string): void {
    if (this.json) return;
    this.clearStatus();
    this.#err.write(`${text}\n`);
  }

  /** An error, always on stderr: one line, then an optional hint (not when the message says it already). */
  error(message: string, hint?: string): void {
    this.clearStatus();
    this.#err.write(`${this.style('red', 'error:')} ${message}\n`);
    if (hint && !message.includes(hint)) this.#err.write(`${this.style('dim', `hint: ${hint}`)}\n`);
  }

  warn(message: string): void {
    this.clearStatus();
    this.#err.write(`${this.style('yellow', 'warning:')} ${message}\n`);
  }

  /** Redraws the one status line (a bar, a spinner) on a terminal; nothing elsewhere. */
  status(text: string): void {
    if (!this.tty || this.json) return;
    // A pseudo-terminal with no size set reports 0 columns: then assume 80.
    const width = this.#err.columns || 80;
    // Measured without colour codes; a line too long loses its colour rather than be cut mid-code.
    const plain = stripVTControlCharacters(text);
    this.#err.write(`\r\x1b[2K${plain.length > width - 1 ? `${plain.slice(0, width - 2)}…` : text}`);
    this.#status = true;
  }

  clearStatus(): void {
    if (!this.#status) return;
    this.#err.write('\r\x1b[2K');
    this.#status = false;
  }
}

/** `[#####-----] 50%`: a bar for a fraction 0..1. */
export function bar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

/** Rows as aligned columns: the first row is the header. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `12:00:01.234 info  plugin message`, for people. */
export function formatEntry(out: Output, entry: LogEntry): string {
  const time = new Date(entry.time).toISOString().slice(11, 23);
  const level = entry.level.padEnd(5);
  const styled =
    entry.level === 'error'
      ? out.style('red', level)
      : entry.level === 'warn'
        ? out.style('yellow', level)
        : out.style('dim', level);
  return `${out.style('dim', time)} ${styled} ${out.style('dim', entry.source.padEnd(6))} ${entry.message}`;
}
