// host.ts — your application
import { PluginProcess } from 'bulkhead';
import type hello from './plugins/hello.js';

await using proc = await PluginProcess.start<typeof hello>({ plugin: new URL('./plugins/hello.js', import.meta.url) });
console.log(await proc.execute({ name: 'Ada' })); // Hello, Ada   (typed: input and output)
