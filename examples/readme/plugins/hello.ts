// plugins/hello.ts — runs in its own process
import { definePlugin } from '@bulkhead/sdk';
import { z } from 'zod';

export default definePlugin({
  name: 'hello',
  version: '1.0.0',
  config: z.object({ greeting: z.string().default('Hello') }),
  execute: (input: { name: string }, ctx) => `${ctx.config.greeting}, ${input.name}`,
});
