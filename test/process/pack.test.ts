/**
 * The packages as a user gets them: `npm pack` of both, installed from the tarballs into a fresh
 * project outside the monorepo, where the README's example runs (as source and built by tsc) and
 * `npx bulkhead install` + `run` work. Needs a build first (npm test does one).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers.js';

const exec = promisify(execFile);

/**
 * This environment without npm's own variables (set by `npm test`), which would point npm here, and
 * with the Node running the tests first on the PATH: `npx bulkhead` runs on it, as a user's would on
 * theirs.
 */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return {
    ...env,
    PATH: `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}`,
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

function run(file: string, args: string[], cwd: string, env = cleanEnv()) {
  return exec(file, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
}

/** The README's two files, exactly as the README shows them. */
function readmeExample(readme: string): { plugin: string; host: string } {
  const m = /```ts\n(\/\/ plugins\/hello\.ts[\s\S]*?)```\n\n```ts\n(\/\/ host\.ts[\s\S]*?)```/.exec(readme);
  assert.ok(m, 'the README shows plugins/hello.ts and host.ts');
  return { plugin: m[1]!, host: m[2]! };
}

/** The tsconfig.json the README says compiles the example. */
function readmeTsconfig(readme: string): string {
  const m = /a `tsconfig.json` like\s+this one compiles it as written[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'the package README shows its tsconfig.json');
  return m[1]!;
}

const dir = mkdtempSync(join(tmpdir(), 'bulkhead-pack-'));
const project = join(dir, 'project');
const tarballs: Record<'sdk' | 'host', { file: string; files: string[] }> = {} as never;
const rootReadme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const hostReadme = readFileSync(join(repoRoot, 'packages', 'host', 'README.md'), 'utf8');

before(async () => {
  for (const pkg of ['sdk', 'host'] as const) {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], join(repoRoot, 'packages', pkg));
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarballs[pkg] = { file: join(dir, info!.filename), files: info!.files.map((f) => f.path) };
  }
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-test', private: true, type: 'module' }));
  await run('npm', ['install', tarballs.sdk.file, tarballs.host.file, 'zod@^4', '@types/node@^22'], project);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed packages, installed from their tarballs outside the monorepo', () => {
  test('each ships a README, a LICENSE, its dist and the docs its hints name; the repo has the LICENSE too', () => {
    for (const pkg of ['sdk', 'host'] as const) {
      const { files } = tarballs[pkg];
      for (const f of ['README.md', 'LICENSE', 'package.json', 'dist/index.js', 'dist/index.d.ts']) {
        assert.ok(files.includes(f), `${pkg}: ${f} in ${files.length} files`);
      }
      assert.ok(files.includes('docs/errors.md'), `${pkg}: docs/errors.md`);
      assert.ok(!files.some((f) => f.includes('tsbuildinfo')), `${pkg}: no build info`);
    }
    for (const f of [
      'bin/bulkhead.js',
      'bin/node-too-old.js',
      'docs/cli.md',
      'docs/queue.md',
      'schemas/manifest.schema.json',
    ]) {
      assert.ok(tarballs.host.files.includes(f), `host: ${f}`);
    }
    assert.match(readFileSync(join(repoRoot, 'LICENSE'), 'utf8'), /^MIT License/);
    for (const pkg of ['sdk', 'host']) {
      const manifest = JSON.parse(
        readFileSync(
          join(project, 'node_modules', pkg === 'sdk' ? '@bulkhead/sdk' : 'bulkhead', 'package.json'),
          'utf8',
        ),
      );
      assert.equal(manifest.license, 'MIT');
      assert.equal(manifest.engines.node, '>=22.13');
    }
  });

  test('the package READMEs show the same two-file example as the repository README', () => {
    const { plugin, host } = readmeExample(rootReadme);
    for (const pkg of ['sdk', 'host']) {
      const readme = readFileSync(join(repoRoot, 'packages', pkg, 'README.md'), 'utf8');
      assert.ok(readme.includes(plugin) && readme.includes(host), `packages/${pkg}/README.md`);
      assert.match(readme, /npm install bulkhead @bulkhead\/sdk zod/);
    }
  });

  test('`npx bulkhead --help` names a doc that exists in the installed package', async () => {
    // `--`: npx would take --help for itself.
    const { stdout } = await run('npx', ['--no', '--', 'bulkhead', '--help'], project);
    const doc = /^Docs: (.+)$/m.exec(stdout)?.[1];
    assert.equal(doc, join('node_modules', 'bulkhead', 'docs', 'cli.md'));
    assert.ok(existsSync(join(project, doc)));
  });

  test("the README's example runs as written, as source, on Node 24", async (t) => {
    // As the README says: Node 22 strips types too (from 22.18) but has no `await using`.
    if (Number(process.versions.node.split('.')[0]) < 24 || !process.features.typescript) {
      return t.skip(`the README promises this on Node 24; this is ${process.versions.node}`);
    }
    const { plugin, host } = readmeExample(rootReadme);
    const src = join(project, 'as-source');
    mkdirSync(join(src, 'plugins'), { recursive: true });
    writeFileSync(join(src, 'plugins', 'hello.ts'), plugin);
    writeFileSync(join(src, 'host.ts'), host);
    const { stdout } = await run(process.execPath, ['host.ts'], src);
    assert.equal(stdout, 'Hello, Ada\n');
  });

  test("the README's example compiles as written under tsc with the README's tsconfig, and runs", async () => {
    const { plugin, host } = readmeExample(rootReadme);
    const app = join(project, 'built');
    mkdirSync(join(app, 'plugins'), { recursive: true });
    writeFileSync(join(app, 'plugins', 'hello.ts'), plugin);
    writeFileSync(join(app, 'host.ts'), host);
    writeFileSync(join(app, 'tsconfig.json'), readmeTsconfig(hostReadme));
    // The repository's TypeScript, over the installed packages' declarations.
    await run(
      process.execPath,
      [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      app,
    );
    const { stdout } = await run(process.execPath, [join('dist', 'host.js')], app);
    assert.equal(stdout, 'Hello, Ada\n');
  });

  test('`npx bulkhead install` then `npx bulkhead run` a plugin', async () => {
    cpSync(join(repoRoot, 'examples', 'packages', 'noop'), join(project, 'noop'), { recursive: true });
    writeFileSync(join(project, 'plugins.yaml'), 'version: 1\nplugins:\n  - source: ./noop\n');
    const env = cleanEnv({ BULKHEAD_HOME: join(project, 'home') });
    const install = await run('npx', ['--no', 'bulkhead', 'install', 'plugins.yaml'], project, env);
    assert.match(install.stdout + install.stderr, /noop/);
    const { stdout } = await run(
      'npx',
      ['--no', 'bulkhead', 'run', 'noop', '--input', '{"x":1}', '--json'],
      project,
      env,
    );
    const job = JSON.parse(stdout) as { status: string; result: unknown };
    assert.equal(job.status, 'completed');
    assert.deepEqual(job.result, { x: 1 });
  });
});
