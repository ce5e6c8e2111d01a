#!/usr/bin/env node
// The `bulkhead` command. A committed file (not dist/), so npm can link it before the first build.
import module from 'node:module';

// Node ≥ 22.1 keeps V8's compiled code of every module in a cache on disk ($NODE_COMPILE_CACHE, else
// <tmpdir>/node-compile-cache), so later runs skip most of their compiling. Turned on before the CLI
// is imported (a static import would load it all first). Node 20 has no such cache: a no-op there.
module.enableCompileCache?.();

// `bulkhead run NAME`: the plugin's worker starts now, its cold start overlapping the CLI's own
// loading (dist/cli/prelaunch-run.js says when it does not, and why that is safe).
const args = process.argv.slice(2);
if (args.includes('run') && process.env.BULKHEAD_PRELAUNCH !== '0') {
  try {
    await (await import('../dist/cli/prelaunch-run.js')).prelaunchRun(args);
  } catch {
    // Only ever an optimisation: the command itself finds and reports whatever is wrong.
  }
}

const { runCli } = await import('../dist/cli/main.js');
await runCli();
