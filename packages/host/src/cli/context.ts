/**
 * What every command gets: output, the home, the global flags, the command being run and, for a
 * plain `run`, the worker spawned before the CLI loaded. Commands import this, never `main.ts`.
 * @module
 */
import type { Command } from 'commander';
import type { PrelaunchedWorker } from '../process/worker-spawn.js';
import type { Output } from './output.js';

export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  home?: string;
}

/** What every command gets: output, the home, and the global flags. */
export interface CommandContext {
  out: Output;
  home: string;
  globals: GlobalOptions;
  env: NodeJS.ProcessEnv;
  /** Host settings given as flags (`run --policy`), by setting key: they override config.yaml and the environment. */
  settings: Record<string, unknown>;
  /** The command being run (its root is the whole program). */
  command?: Command;
  /** The worker spawned early for a plain `run`, for the command's manager to take over (or kill). */
  prelaunched?: PrelaunchedWorker;
}
