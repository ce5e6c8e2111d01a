/**
 * Every benchmark, in run order. Adding one is one import and one entry here.
 * Binary runs last: it leaves this process with the biggest heap, which would slow later spawns.
 * @module
 */
import { binary } from './benchmarks/binary.js';
import { cli } from './benchmarks/cli.js';
import { coldStart } from './benchmarks/cold-start.js';
import { crash } from './benchmarks/crash.js';
import { handoff } from './benchmarks/handoff.js';
import { manager } from './benchmarks/manager.js';
import { pipelined } from './benchmarks/pipelined.js';
import { python } from './benchmarks/python.js';
import { queue } from './benchmarks/queue.js';
import { redis } from './benchmarks/redis.js';
import { reference } from './benchmarks/reference.js';
import { rss } from './benchmarks/rss.js';
import { rtt } from './benchmarks/rtt.js';
import { rttPlacement } from './benchmarks/rtt-placement.js';
import { sampling } from './benchmarks/sampling.js';
import { server } from './benchmarks/server.js';
import { stream } from './benchmarks/stream.js';
import { venv } from './benchmarks/venv.js';
import type { Benchmark } from './types.js';

export const benchmarks: readonly Benchmark[] = [
  rtt,
  rttPlacement,
  pipelined,
  stream,
  coldStart,
  rss,
  crash,
  sampling,
  manager,
  queue,
  redis,
  cli,
  python,
  reference,
  venv,
  server,
  binary,
  handoff,
];
