/**
 * One call on a plugin's running worker, kept on its record: busy while it runs, its time and
 * outcome counted; a failure is judged by the crash policy (PluginWorkers.callFailed), and an
 * `execute` that succeeds after a cool-down closes the plugin's circuit.
 * @module
 */
import type { CallOptions, PluginProcess } from '../process/plugin-process.js';
import type { ManagedPlugin } from './managed-plugin.js';
import type { PluginWorkers } from './plugin-workers.js';

export async function executeOn<O>(
  workers: PluginWorkers,
  m: ManagedPlugin,
  proc: PluginProcess,
  input: unknown,
  options: CallOptions | undefined,
): Promise<O> {
  m.begin();
  const t0 = performance.now();
  let failed = false;
  try {
    const result = (await proc.execute(input, options)) as O;
    if (m.crashes.tripped) {
      // A call succeeded after the cool-down: the circuit closes and its crashes are forgotten.
      m.crashes.succeeded();
      delete m.lastError;
      delete m.lastStderr;
      workers.note(m, 'info', 'circuit closed: a call succeeded after the cool-down');
    }
    return result;
  } catch (e) {
    failed = true;
    workers.callFailed(m, proc, e);
    throw e;
  } finally {
    m.end(performance.now() - t0, failed);
  }
}

export async function* streamOn<T>(
  workers: PluginWorkers,
  m: ManagedPlugin,
  proc: PluginProcess,
  input: unknown,
  options: Omit<CallOptions, 'timeout'> | undefined,
): AsyncGenerator<T> {
  m.begin();
  const t0 = performance.now();
  let failed = false;
  try {
    yield* proc.stream(input, options) as AsyncIterable<T>;
  } catch (e) {
    failed = true;
    workers.callFailed(m, proc, e);
    throw e;
  } finally {
    m.end(performance.now() - t0, failed);
  }
}
