// One benchmark host of a Redis queue, as its own process: `redis-host.js PLUGIN_DIR HOME URL`.
// Prints `ready HOST_ID`; SIGTERM stops it; SIGKILL is a host that died.
import { PluginManager } from 'bulkhead';
import { RedisJobQueue } from 'bulkhead/redis';

const [pluginDir, home, url] = process.argv.slice(2) as [string, string, string];
const manager = new PluginManager({ pluginPaths: [pluginDir], home, liveness: { pingIntervalMs: 0 } });
await manager.discover();
await Promise.all(manager.list().map((p) => manager.load(p.name)));
const queue = await RedisJobQueue.open({ manager, redis: url, control: false, cancelTimeoutMs: 2000 });
await queue.start();
process.stdout.write(`ready ${queue.hostId}\n`);
process.on('SIGTERM', () => {
  void queue
    .stop({ timeoutMs: 0 })
    .then(() => manager.close())
    .then(() => process.exit(0));
});
