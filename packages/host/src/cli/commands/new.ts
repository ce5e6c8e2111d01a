/**
 * `bulkhead new NAME [--ts]`: a plugin package that works outside this repository. `npm install`
 * and `npm test` succeed in it at once (the SDK is packed into `vendor/` from the host's own copy,
 * since @bulkhead/sdk is not on the registry yet), and its plugins.yaml installs and runs it.
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import * as nodeModule from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import { hostSdk } from '../../install/environment.js';
import { CliError, usage } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { pluginTemplate } from '../scaffold/templates.js';

const NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

export async function newPlugin(
  ctx: CommandContext,
  name: string,
  options: { ts?: boolean; dir?: string },
): Promise<number> {
  if (!NAME.test(name)) {
    throw usage(`"${name}" is not a plugin name`, 'lower-case letters, digits, ".", "_" and "-", e.g. image-resize');
  }
  const dir = resolve(options.dir ?? basename(name));
  let existing: string[] = [];
  try {
    existing = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (existing.length > 0) throw usage(`${dir} exists and is not empty`, 'choose another name, or --dir DIR');
  await mkdir(join(dir, 'vendor'), { recursive: true });
  const sdk = hostSdk();
  const tarball = await packSdk(sdk.dir, join(dir, 'vendor'), ctx.env);
  // A TypeScript plugin needs a worker Node that can strip types; pin one when this host's cannot.
  const canStrip = typeof (nodeModule as { stripTypeScriptTypes?: unknown }).stripTypeScriptTypes === 'function';
  const files = pluginTemplate({
    name,
    ts: options.ts ?? false,
    sdkTarball: tarball,
    sdkVersion: sdk.version,
    ...(options.ts && !canStrip ? { pinNode: 24 } : {}),
  });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const where = relative(process.cwd(), dir) || '.';
  if (ctx.out.json) ctx.out.document({ name, dir, files: [...Object.keys(files), `vendor/${tarball}`] });
  else {
    ctx.out.line(`created ${name} in ${where}${options.ts ? ' (TypeScript, no build step)' : ''}`);
    ctx.out.line(`  cd ${where} && npm install && npm test`);
    ctx.out.line('  bulkhead install plugins.yaml');
    ctx.out.line(`  bulkhead run ${name} --input '{"name": "Ada"}'`);
  }
  return EXIT.OK;
}

/** `npm pack` of the host's SDK into `dest`; returns the tarball's file name. */
async function packSdk(sdkDir: string, dest: string, env: NodeJS.ProcessEnv): Promise<string> {
  const npm = env.BULKHEAD_NPM ?? 'npm';
  try {
    const { stdout } = await promisify(execFile)(npm, ['pack', sdkDir, '--pack-destination', dest, '--json'], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (packed === undefined) throw new Error('npm pack printed no file');
    return basename(packed.filename);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw new CliError(
      'ERR_SCAFFOLD_FAILED',
      `cannot pack the SDK (${sdkDir}) into the plugin: ${stderr || (e as Error).message}`,
    );
  }
}
