// The smallest plugin: no dependencies, no config, answers at once with its input. The `cli`
// benchmark times `bulkhead run noop` with it, so what it measures is Bulkhead, not the plugin.
import { definePlugin } from '@bulkhead/sdk';

export default definePlugin({
  name: 'noop',
  version: '1.0.0',
  description: 'Answers at once with its input',
  execute: (input) => input,
});
