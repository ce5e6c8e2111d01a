// Installed with `node: 22` in plugins.yaml: its worker runs on that Node, whatever the host's is.
import { definePlugin } from '@bulkhead/sdk';

export default definePlugin({
  name: 'node-pinned',
  version: '1.0.0',
  description: 'Says which Node runs it',
  execute() {
    return { node: process.version, execPath: process.execPath };
  },
});
