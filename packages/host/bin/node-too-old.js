// What `bulkhead` does on a Node older than it supports (it needs node:sqlite, built into Node from
// 22.13): run itself under a supported `node` from an enclosing node_modules/.bin (this repository's
// node@24 dev dependency, or a project's own), or else say in one line which Node it needs and how
// to get it, and exit with 1. Plain JavaScript with no dependencies, so that any Node runs it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The oldest Node Bulkhead runs on (the `engines` of both packages). */
const MIN = [22, 13];

/** Whether Node `version` ("22.13.0") is one Bulkhead runs on. */
export function supportedNode(version) {
  const [major, minor] = String(version).split('.').map(Number);
  return major > MIN[0] || (major === MIN[0] && minor >= MIN[1]);
}

/** Runs `bin` with `args` under a supported Node if one is installed nearby; its exit code, or 1. */
export async function runOnSupportedNode(bin, args) {
  // Never twice: a re-exec that lands on an old Node again explains instead of looping.
  const node = process.env.BULKHEAD_REEXEC === '1' ? undefined : nearbySupportedNode();
  if (node !== undefined) return reexec(node, bin, args);
  process.stderr.write(
    `error: Bulkhead needs Node.js ${MIN.join('.')} or later (24 LTS recommended), and this is Node ` +
      `${process.versions.node} (${process.execPath}): install Node 24 from https://nodejs.org, or run ` +
      '`npm install --save-dev node@24` in your project and start bulkhead with npx or an npm script\n',
  );
  return 1;
}

/** The first `node_modules/.bin/node` above this file or the working directory that is supported. */
function nearbySupportedNode() {
  const seen = new Set();
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; ; dir = dirname(dir)) {
      const node = join(dir, 'node_modules', '.bin', 'node');
      if (!seen.has(node) && existsSync(node)) {
        seen.add(node);
        const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 30_000 });
        if (version.status === 0 && supportedNode(version.stdout.trim())) return node;
      }
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}

function reexec(node, bin, args) {
  return new Promise((resolve) => {
    const child = spawn(node, [bin, ...args], { stdio: 'inherit', env: { ...process.env, BULKHEAD_REEXEC: '1' } });
    // Ctrl-C reaches the child from the terminal itself (one process group), so SIGINT is only kept
    // from ending this process early; a SIGTERM or SIGHUP sent to this process is passed on.
    const onInt = () => {};
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', onInt).on('SIGTERM', forward).on('SIGHUP', forward);
    child.on('error', (e) => {
      process.stderr.write(`error: cannot start ${node}: ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt).off('SIGTERM', forward).off('SIGHUP', forward);
      // Die of the same signal, so the caller sees what the command saw.
      if (signal !== null) process.kill(process.pid, signal);
      else resolve(code ?? 1);
    });
  });
}
