// The smallest useful plugin: one config field, one call.
import { definePlugin } from '@bulkhead/sdk';
import { z } from 'zod';

export default definePlugin({
  name: 'hello',
  version: '1.0.0',
  description: 'Greets someone, from its own process',
  config: z.object({ greeting: z.string().default('Hello') }),
  execute(input, ctx) {
    const name = typeof input?.name === 'string' ? input.name : 'world';
    return { message: `${ctx.config.greeting}, ${name}!`, pid: process.pid };
  },
});
