/**
 * What a worker inherits from the host's environment: a documented minimal set plus the names
 * its manifest (`passEnv`, from `plugins.yaml` too) lets through, never the rest. The host's
 * own environment holds its operator's secrets (cloud keys, tokens); a plugin is third-party
 * code, so it gets them only when someone says so by name. Variables given explicitly (the
 * manifest's `envVars`, `plugins.yaml`'s `env`, a caller's `env` option) are always set.
 * @module
 */

/**
 * Inherited by every worker: what a process needs to run (paths, locale, time zone, temp dir),
 * what Node and Python read to find their libraries and certificates, and which GPUs it may use.
 * A trailing `*` is a prefix.
 */
export const BASE_WORKER_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'TERM',
  'NO_COLOR',
  'FORCE_COLOR',
  'LD_LIBRARY_PATH',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'NODE_PATH',
  'NODE_ENV',
  'NODE_V8_COVERAGE',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONDONTWRITEBYTECODE',
  'PYTHONUNBUFFERED',
  'PYTHONIOENCODING',
  'VIRTUAL_ENV',
  'CONDA_PREFIX',
  'CUDA_*',
  'NVIDIA_*',
  'HIP_VISIBLE_DEVICES',
  'ROCR_VISIBLE_DEVICES',
  'BULKHEAD_*',
];

/** `NAME` or `PREFIX*`, as `passEnv` takes them. */
export const PASS_ENV_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

function matcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (name) => exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix));
}

/**
 * The part of `hostEnv` a worker inherits: {@link BASE_WORKER_ENV} plus `passEnv`. `passEnv`
 * `['*']` passes everything (the old behaviour, for a trusted in-process use).
 */
export function inheritedWorkerEnv(
  hostEnv: NodeJS.ProcessEnv,
  passEnv: readonly string[] = [],
): Record<string, string> {
  const allowed = matcher([...BASE_WORKER_ENV, ...passEnv]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(hostEnv)) if (v !== undefined && allowed(k)) out[k] = v;
  return out;
}
