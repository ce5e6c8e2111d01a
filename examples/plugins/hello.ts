import { definePlugin } from '@bulkhead/sdk';
import { z } from 'zod';

/** The README's example: a greeting with a configurable salutation. */
export default definePlugin({
  name: 'hello',
  version: '1.0.0',
  description: 'Greets someone, from its own process',
  config: z.object({ greeting: z.string().default('Hello') }),
  execute(input: { name: string }, ctx) {
    return `${ctx.config.greeting}, ${input.name} (from pid ${process.pid})`;
  },
});
