/**
 * The files of a new plugin package (`bulkhead new NAME`), in JavaScript or TypeScript. The
 * package works on its own, outside any checkout of Bulkhead: its `@bulkhead/sdk` comes from a
 * tarball packed into `vendor/` (the SDK is not on the registry yet), its test calls the plugin's
 * `execute` with a context like the worker's, and its plugins.yaml installs it as it stands.
 * @module
 */

export interface TemplateOptions {
  name: string;
  ts: boolean;
  /** The SDK tarball's file name under vendor/. */
  sdkTarball: string;
  sdkVersion: string;
  /** Pin the plugin to this Node in plugins.yaml (TypeScript on a host Node that cannot strip types). */
  pinNode?: number;
}

/** Path → contents. */
export function pluginTemplate(o: TemplateOptions): Record<string, string> {
  const entry = o.ts ? 'src/index.ts' : 'index.js';
  const pkg = {
    name: o.name,
    version: '0.1.0',
    description: `${o.name}: a Bulkhead plugin`,
    type: 'module',
    main: entry,
    files: o.ts ? ['src'] : ['index.js'],
    scripts: { test: o.ts ? 'node --test test/plugin.test.ts' : 'node --test test/plugin.test.js' },
    ...(o.ts ? { engines: { node: '>=22.18' } } : {}),
    // The host supplies its own SDK when it installs the plugin, so the plugin speaks its protocol.
    peerDependencies: { '@bulkhead/sdk': `>=${o.sdkVersion}` },
    dependencies: { zod: '^4.1.0' },
    devDependencies: { '@bulkhead/sdk': `file:vendor/${o.sdkTarball}` },
  };
  const files: Record<string, string> = {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    [entry]: o.ts ? TS_PLUGIN(o.name) : JS_PLUGIN(o.name),
    [o.ts ? 'test/plugin.test.ts' : 'test/plugin.test.js']: TEST(o.ts),
    'plugins.yaml': PLUGINS_YAML(o),
    'README.md': README(o),
    '.gitignore': 'node_modules/\n',
  };
  if (o.ts) files['tsconfig.json'] = `${JSON.stringify(TSCONFIG, null, 2)}\n`;
  return files;
}

const JS_PLUGIN = (name: string) => `import { definePlugin } from '@bulkhead/sdk';
import { z } from 'zod';

export default definePlugin({
  name: '${name}',
  version: '0.1.0',
  description: 'greets someone',
  // Checked by the host before the plugin starts; defaults fill what the user leaves out.
  config: z.object({ greeting: z.string().default('Hello') }),
  // Checked at submit: a job with a bad input fails at once, and UIs can show a form for it.
  input: z.object({ name: z.string() }),
  async execute(input, ctx) {
    ctx.progress(0.5, 'thinking');
    ctx.log.info('greeting', { name: input.name });
    return \`\${ctx.config.greeting}, \${input.name}!\`;
  },
});
`;

const TS_PLUGIN = (name: string) => `import { definePlugin } from '@bulkhead/sdk';
import { z } from 'zod';

// Runs as written, without a build step: Bulkhead strips the types as the plugin loads (Node 22.13+
// or 24). Only erasable syntax, as with Node's own type stripping: no enum or namespace, and
// type-only imports say so (\`import type\`).
interface Input {
  name: string;
}

export default definePlugin({
  name: '${name}',
  version: '0.1.0',
  description: 'greets someone',
  config: z.object({ greeting: z.string().default('Hello') }),
  input: z.object({ name: z.string() }),
  async execute(input: Input, ctx): Promise<string> {
    ctx.progress(0.5, 'thinking');
    ctx.log.info('greeting', { name: input.name });
    return \`\${ctx.config.greeting}, \${input.name}!\`;
  },
});
`;

const TEST = (ts: boolean) => `import assert from 'node:assert/strict';
import { test } from 'node:test';
import plugin from '../${ts ? 'src/index.ts' : 'index.js'}';

// The context the worker gives a call, enough for a unit test; \`bulkhead run\` runs it for real.
function context(config${ts ? ': unknown' : ''} = {}) {
  const quiet = () => {};
  return {
    config: plugin.definition.config${ts ? '!' : ''}.parse(config),
    signal: new AbortController().signal,
    callId: 1,
    progress: quiet,
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  };
}

test('greets with the default greeting', async () => {
  assert.equal(await plugin.definition.execute${ts ? '!' : ''}({ name: 'Ada' }, context()), 'Hello, Ada!');
});

test('greets with a configured greeting', async () => {
  assert.equal(await plugin.definition.execute${ts ? '!' : ''}({ name: 'Ada' }, context({ greeting: 'Hi' })), 'Hi, Ada!');
});
`;

const PLUGINS_YAML = (
  o: TemplateOptions,
) => `# Installs this directory as a plugin: bulkhead install plugins.yaml && bulkhead run ${o.name} --input '{"name": "Ada"}'
version: 1
plugins:
  - source: .
${o.pinNode !== undefined ? `    # TypeScript without a build step needs Node 22.13+ or 24 in the worker; this host runs an older one.\n    node: ${o.pinNode}\n` : ''}    config: { greeting: Hello }
`;

const README = (o: TemplateOptions) => `# ${o.name}

A [Bulkhead](https://github.com/) plugin${o.ts ? ', in TypeScript (run as written: no build step)' : ''}.

\`\`\`sh
npm install                      # the SDK comes from vendor/ (${o.sdkTarball})
npm test                         # calls execute() in this process
bulkhead install plugins.yaml    # into an environment of its own
bulkhead run ${o.name} --input '{"name": "Ada"}'   # Hello, Ada!
\`\`\`

Change \`${o.ts ? 'src/index.ts' : 'index.js'}\`, then \`bulkhead install plugins.yaml\` again (it reinstalls what changed).
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    // What Node's type stripping can run.
    erasableSyntaxOnly: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
  },
  include: ['src', 'test'],
};
