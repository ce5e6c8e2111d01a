/**
 * The `gpu` check: what `nvidia-smi` reports. No driver is a `skip`; a broken one warns, since
 * Bulkhead runs without GPU scheduling.
 * @module
 */
import { isBulkheadError } from '@bulkhead/sdk/errors';
import { queryGpus } from '../../resources/nvidia-smi.js';
import { type DoctorContext, errorCode, firstLine, type Outcome, ok, skip, warn } from './check.js';

export async function checkGpu(ctx: DoctorContext): Promise<Outcome> {
  const off = 'GPU scheduling stays off until nvidia-smi works';
  let gpus: Awaited<ReturnType<typeof queryGpus>>;
  try {
    gpus = await queryGpus(ctx.run, { timeoutMs: ctx.timeoutMs });
  } catch (e) {
    if (isBulkheadError(e, 'ERR_TIMEOUT')) {
      return warn(`nvidia-smi did not answer within ${ctx.timeoutMs} ms`, `check the NVIDIA driver; ${off}`);
    }
    if (!isBulkheadError(e, 'ERR_INTERNAL')) {
      return warn(`nvidia-smi could not run: ${errorCode(e) ?? firstLine(e)}`, `check the NVIDIA driver; ${off}`);
    }
    const data = (e.data ?? {}) as { exitCode?: number; stderr?: string };
    // nvidia-smi prints some failures on stdout, and the message then holds that line instead.
    const why = data.stderr ? firstLine(data.stderr) : firstLine(e).replace(/^.*? exited with code \d+: /, '');
    // The usual cause of a mismatch: the driver was upgraded and the old kernel module is still loaded.
    return warn(
      `nvidia-smi exited with code ${data.exitCode ?? '?'}: ${why}`,
      `repair the NVIDIA driver (after an update, reboot); ${off}`,
    );
  }
  if (gpus.length === 0) return skip('no NVIDIA GPU driver found (GPU scheduling off)');
  const list = gpus.map((g) => `${g.index}: ${g.name}, ${g.memoryTotalMB} MiB (${g.memoryFreeMB} MiB free)`);
  return ok(`${gpus.length} GPU${gpus.length === 1 ? '' : 's'}: ${list.join('; ')}`);
}
