/**
 * Serving a home's control socket from a queue (docs/control.md): loaded only when the queue
 * serves one, so a queue that does not never loads the control server.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { ControlServer } from '../control/server.js';
import type { JobQueueApi } from './job-queue-api.js';
import type { PluginRunner } from './plugin-runner.js';

export async function serveQueueControl(queue: JobQueueApi, runner: PluginRunner): Promise<ControlServer> {
  const [{ serveControl }, { LocalQueueClient }, { PluginManager }] = await Promise.all([
    import('../control/server.js'),
    import('../control/local-client.js'),
    import('../manager/plugin-manager.js'),
  ]);
  // The socket also serves plugin commands (load, config, logs): those need the whole manager.
  if (!(runner instanceof PluginManager)) {
    throw new BulkheadError(
      'ERR_INVALID_ARGUMENT',
      'serving the control socket needs a PluginManager as "manager"; pass control: false with another PluginRunner',
    );
  }
  const client = new LocalQueueClient({ queue, manager: runner });
  return serveControl({ client, home: runner.home });
}
