#!/usr/bin/env node
// The `bulkhead` command. A committed file (not dist/), so npm can link it before the first build.
// Plain JavaScript that any Node parses: on one too old for Bulkhead, node-too-old.js takes over
// before anything that needs a newer Node loads.
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { runOnSupportedNode, supportedNode } from './node-too-old.js';

if (!supportedNode(process.versions.node)) {
  process.exitCode = await runOnSupportedNode(fileURLToPath(import.meta.url), process.argv.slice(2));
} else {
  // Set by a re-exec from an older Node; not for the plugins' environments.
  delete process.env.BULKHEAD_REEXEC;

  // Node keeps V8's compiled code of every module in a cache on disk ($NODE_COMPILE_CACHE, else
  // <tmpdir>/node-compile-cache), so later runs skip most of their compiling. Turned on before the
  // CLI is imported (a static import would load it all first).
  module.enableCompileCache?.();

  // `bulkhead run NAME`: the plugin's worker starts now, its cold start overlapping the CLI's own
  // loading (dist/cli/prelaunch-run.js says when it does not, and why that is safe).
  // The worker is handed to the command explicitly (runCli's `prelaunched`), never left in a slot.
  const args = process.argv.slice(2);
  let prelaunched;
  if (args.includes('run') && process.env.BULKHEAD_PRELAUNCH !== '0') {
    try {
      prelaunched = await (await import('../dist/cli/prelaunch-run.js')).prelaunchRun(args);
    } catch {
      // Only ever an optimisation: the command itself finds and reports whatever is wrong.
    }
  }

  const { runCli } = await import('../dist/cli/main.js');
  await runCli({ prelaunched });
}
