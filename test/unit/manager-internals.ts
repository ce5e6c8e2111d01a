/**
 * The manager's internal modules the in-process tests drive directly (not exported by `bulkhead`),
 * loaded from the built package beside its entry.
 */
const at = (path: string) => new URL(path, import.meta.resolve('bulkhead')).href;

export const { ManagedPlugin } = (await import(
  at('./manager/managed-plugin.js')
)) as typeof import('../../packages/host/src/manager/managed-plugin.js');
export const { CircuitBreaker } = (await import(
  at('./manager/circuit-breaker.js')
)) as typeof import('../../packages/host/src/manager/circuit-breaker.js');
export const { DEFAULT_RESTART_POLICY } = (await import(
  at('./manager/crash-policy.js')
)) as typeof import('../../packages/host/src/manager/crash-policy.js');
