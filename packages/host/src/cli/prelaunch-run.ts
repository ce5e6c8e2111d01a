/**
 * `bulkhead run NAME` spawns the plugin's worker before the CLI itself has loaded: the bin calls
 * {@link prelaunchRun} first and hands the worker to the CLI (`runCli({ prelaunched })`, then the
 * command's PluginManager), and the worker's cold start then overlaps the CLI's module loading,
 * the job database's opening and the submit. The manager later starts the plugin as it always
 * does and takes this worker over only if it would have spawned exactly the same one (see
 * process/worker-spawn.ts); otherwise it is killed. So this decides when a worker starts, never
 * what runs or whether a job may run.
 *
 * It does nothing, quietly, whenever the job may not run here at once or the command line is not
 * a plain `run`: another process hosts the home (the job runs there), `--detach`, help, a plugin
 * that is unknown, disabled or declares resources (the scheduler decides when those load). The bin
 * does not even load this module under `BULKHEAD_PRELAUNCH=0`. Errors are for the command itself to find and report.
 * @module
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { controlSocketPath } from '../control/socket-path.js';
import { StateStore } from '../manager/state-store.js';
import { workerOptionsFor } from '../manager/worker-options.js';
import { discover, searchPaths } from '../manifest/discover.js';
import { type PrelaunchedWorker, prelaunch, workerSpawnSpec } from '../process/worker-spawn.js';
import { hasNeeds } from '../resources/resource-ledger.js';
import { bulkheadHome } from '../util/home.js';

/** `run`'s plugin name and the home, when `args` (after `node bulkhead`) are a plain run; else null. */
export function plainRun(args: readonly string[], env: NodeJS.ProcessEnv): { name: string; home: string } | null {
  let home: string | undefined;
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--home') home = args[++i];
    else if (a.startsWith('--home=')) home = a.slice('--home='.length);
    else if (a === '--detach' || a === '-h' || a === '--help' || a === '--') return null;
    else if (!a.startsWith('-')) words.push(a);
  }
  // Option values are words too (`--input {...}`): only the first two words matter, and global
  // options (the only ones allowed before the command) take none except --home, handled above.
  if (words[0] !== 'run' || words[1] === undefined) return null;
  if (home === '') return null;
  return { name: words[1], home: home === undefined ? bulkheadHome(env) : resolve(home) };
}

/** The worker spawned for a plain `run`, to be handed to the command (`runCli({ prelaunched })`); else undefined. */
export async function prelaunchRun(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<PrelaunchedWorker | undefined> {
  try {
    const run = plainRun(args, env);
    if (run === null || existsSync(controlSocketPath(run.home))) return undefined;
    const { plugins } = await discover(searchPaths(undefined, { ...env, BULKHEAD_HOME: run.home }));
    const plugin = plugins.find((p) => p.manifest.name === run.name);
    if (plugin === undefined || hasNeeds(plugin.manifest.resources ?? {})) return undefined;
    if (!new StateStore(join(run.home, 'state.json')).get(run.name).enabled) return undefined;
    return prelaunch(workerSpawnSpec(workerOptionsFor(plugin)));
  } catch {
    // Whatever went wrong here, the command meets it again and says so properly.
    return undefined;
  }
}
