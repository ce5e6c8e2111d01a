#!/usr/bin/env node
// The `bulkhead` command. A committed file (not dist/), so npm can link it before the first build.
import { runCli } from '../dist/cli/main.js';

await runCli();
