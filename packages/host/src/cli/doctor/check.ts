/**
 * What every doctor check shares: the {@link DoctorCheck} it reports, the `Outcome` a check returns
 * before `runDoctor` names it, and the helpers that keep each `detail` to one plain line.
 * @module
 */
import type { CommandRunner } from '../../resources/command-runner.js';

/** The outcome of one check. */
export interface DoctorCheck {
  /**
   * Stable: `node`, `npm`, `home`, `config`, `sqlite`, `plugins`, `gpu`, `limits`, `redis`, `control`; and per plugin,
   * `plugin-manifest:<manifest path>` (an invalid manifest) and `plugin-node:<name>` (its pinned Node).
   */
  id: string;
  title: string;
  /** `skip`: does not apply here (no GPU driver, Redis not configured); not a problem. */
  status: 'ok' | 'warn' | 'fail' | 'skip';
  /** One plain line. */
  detail: string;
  /** What to do, one line, when not ok. */
  fix?: string;
}

/** A check's result before it gets its `id` and `title`. */
export type Outcome = Pick<DoctorCheck, 'status' | 'detail' | 'fix'>;

export const ok = (detail: string): Outcome => ({ status: 'ok', detail });
export const skip = (detail: string): Outcome => ({ status: 'skip', detail });
export const warn = (detail: string, fix: string): Outcome => ({ status: 'warn', detail, fix });
export const fail = (detail: string, fix: string): Outcome => ({ status: 'fail', detail, fix });

/** The options of one doctor run, defaults filled in. */
export interface DoctorContext {
  home: string;
  env: NodeJS.ProcessEnv;
  run: CommandRunner;
  timeoutMs: number;
}

export function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The first non-blank line of an error's message or of a text, for a one-line detail. */
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '').trim().slice(0, 300);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}
