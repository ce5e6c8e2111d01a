/**
 * Signals a worker's whole process group. Each worker leads its own group (spawned detached), so
 * the processes a plugin starts go with it. The group outlives its leader until its last member
 * exits, and its id cannot be reused while it exists, so signalling it after the leader died is safe.
 * @module
 */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal); // not a group leader (custom command without a group)
    } catch {
      // already gone
    }
  }
}
