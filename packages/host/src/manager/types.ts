/**
 * Public shapes of the plugin manager: options, per-plugin summaries, telemetry and events.
 * @module
 */
import type { ConfigIssue } from '@bulkhead/sdk';
import type { Capabilities } from '@bulkhead/sdk/protocol';
import type { PluginManifest } from '../manifest/index.js';
import type { LogEntry } from '../process/log-buffer.js';
import type { PluginProcessOptions, Progress } from '../process/plugin-process.js';
import type { PrelaunchedWorker } from '../process/worker-spawn.js';
import type { CommandRunner, SystemMonitor } from '../resources/index.js';
import type { RestartPolicy } from './crash-policy.js';
import type { PluginLogOptions } from './plugin-log.js';
import type { WorkerLimitsOptions } from './worker-limits.js';

/**
 * - `discovered`: known, not running · `loading`: worker starting · `ready`: running, idle
 * - `busy`: running a call · `unresponsive`: missed a ping or a call timed out
 * - `crashed`: its worker died; restarts on next use (or eagerly, by policy)
 * - `failed`: crashed too often; needs `reset(name)` · `disabled`: turned off by the user
 */
export type PluginState =
  | 'discovered'
  | 'loading'
  | 'ready'
  | 'busy'
  | 'unresponsive'
  | 'crashed'
  | 'failed'
  | 'disabled';

export interface PluginManagerOptions {
  /** Searched first, before `BULKHEAD_PLUGIN_PATH` and `<home>/plugins`. */
  pluginPaths?: string[];
  /** Bulkhead home (state, logs). Default `BULKHEAD_HOME` or `~/.bulkhead`. */
  home?: string;
  /** Environment to read `BULKHEAD_*` variables from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * A worker spawned early (`bulkhead run`'s prelaunch), offered to the first worker this manager
   * starts: adopted if that start would spawn exactly it, else killed (as it is by `close()`).
   */
  prelaunched?: PrelaunchedWorker;
  /**
   * The clock the crash policy (its window and backoff) and idle eviction (when a plugin was last
   * used or loaded) read. Default `Date.now`; tests drive their own.
   */
  now?: () => number;
  /** The system monitor, or the name of a monitor plugin that reports the same shape. */
  monitor?: SystemMonitor | { plugin: string };
  /** Runs `nvidia-smi` for the default monitor (tests inject captures). */
  runCommand?: CommandRunner;
  /** Unload plugins idle for this long. Default: never. */
  idleTimeoutMs?: number;
  /** Calls (and jobs) of one plugin at once where its manifest sets no `concurrency`. Default 1. */
  defaultConcurrency?: number;
  /** Loading a plugin whose declared needs would pass these evicts idle plugins first, LRU. */
  budget?: { memoryMB?: number; gpuMemoryMB?: number };
  restart?: Partial<RestartPolicy>;
  liveness?: {
    /** Ping idle workers this often; 0 turns it off. Default 15 s. */
    pingIntervalMs?: number;
    /** A ping unanswered this long marks the plugin unresponsive. Default 5 s. */
    pingTimeoutMs?: number;
    /**
     * A busy worker silent to pings while its process group uses no CPU (or is stopped) this
     * long is hung: killed, its calls failed with ERR_WORKER_UNRESPONSIVE. Default 30 s.
     */
    hangTimeoutMs?: number;
    /** `restart`: kill and restart an unresponsive worker (default); `report`: only report it. */
    onUnresponsive?: 'restart' | 'report';
  };
  /** How manifests' `limits` are enforced (worker-limits.ts). */
  limits?: WorkerLimitsOptions;
  /** Options for every worker process. */
  worker?: Pick<
    PluginProcessOptions,
    | 'handshakeTimeoutMs'
    | 'cancelGraceMs'
    | 'stopTimeoutMs'
    | 'maxFrameBytes'
    | 'streamWindow'
    | 'logBufferLines'
    | 'env'
    | 'passEnv'
  >;
  log?: PluginLogOptions;
}

export interface PluginSummary {
  name: string;
  version: string;
  category: string;
  description?: string;
  state: PluginState;
  enabled: boolean;
  pid: number | null;
  /** Epoch ms of the last call's end, or null if never used. */
  lastUsed: number | null;
  loadedAt: number | null;
  config: Record<string, unknown>;
  resources: NonNullable<PluginManifest['resources']>;
  /** JSON Schema of the input its jobs take (manifest `inputSchema`, from `definePlugin({ input })`), for UIs; null if undeclared. */
  inputSchema: Record<string, unknown> | null;
  capabilities: Partial<Capabilities>;
  /** Crashes inside the restart policy's window. */
  crashes: number;
  lastError?: string;
  /** The last stderr lines of the worker that crashed last (cleared by reset). */
  stderrTail?: string[];
  manifestPath: string;
}

export interface PluginTelemetry {
  name: string;
  state: PluginState;
  pid: number | null;
  /** The worker and every process in its group. */
  pids: number[];
  cpuPercent: number;
  rssBytes: number;
  /** GPU memory held by any process of the group (nvidia-smi). */
  gpuMemoryMB: number;
  uptimeMs: number;
  calls: number;
  errors: number;
  inFlight: number;
  lastDurationMs: number | null;
}

export type ConfigApplied = 'hot' | 'restart' | 'stored';

/** Typed events; each member is documented. */
export interface PluginManagerEvents {
  /** A plugin's worker started and answered its handshake. */
  loaded: [{ name: string; pid: number; ms: number }];
  /** A plugin's worker was stopped on purpose. */
  unloaded: [
    {
      name: string;
      reason: 'requested' | 'idle' | 'budget' | 'disabled' | 'closing' | 'reload' | 'config' | 'recycle';
    },
  ];
  /** A plugin's worker died unexpectedly. `failed` is true when the circuit breaker opened. */
  crashed: [
    {
      name: string;
      exitCode: number | null;
      signal: string | null;
      stderrTail: string[];
      crashes: number;
      failed: boolean;
    },
  ];
  /** A plugin was restarted: after a crash (eager policy), after being unresponsive, or by reload. */
  restarted: [{ name: string; pid: number; reason: 'crash' | 'unresponsive' | 'reload' | 'config' | 'recycle' }];
  /** A worker missed a ping or a call exceeded its timeout. */
  unresponsive: [{ name: string; pid: number | null; reason: string }];
  /** Progress pushed by any call of any plugin. */
  progress: [{ name: string } & Progress];
  /** A log entry of a plugin (its output, `ctx.log`, or the manager's own notes about it). */
  log: [{ name: string } & LogEntry];
  'config-changed': [{ name: string; config: Record<string, unknown>; applied: ConfigApplied }];
  /** Any state change. */
  state: [{ name: string; state: PluginState; previous: PluginState }];
}

export type { ConfigIssue };
