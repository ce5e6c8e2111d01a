/**
 * A plugin pinned to another Node major gets its native addons built for that Node: npm runs
 * under the pinned Node with its own headers (from the npm `node` package). A real addon built
 * from source by node-gyp, against V8's ABI (not N-API, which would load anywhere), reports the
 * NODE_MODULE_VERSION it was compiled for; the worker reports the one it runs. And the install
 * check loads every addon with the jobs' Node, so one that cannot load fails the install.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanUp, cli, tempHome } from '../cli-helpers.js';
import { tempDir } from '../helpers.js';

after(cleanUp);

/** The Node major the plugin is pinned to: one that is not this host's. */
const PINNED = Number(process.versions.node.split('.')[0]) === 22 ? 24 : 22;
const ABI: Record<number, number> = { 22: 127, 24: 137 };

const ADDON = `#include <node.h>
namespace {
void Abi(const v8::FunctionCallbackInfo<v8::Value>& args) {
  args.GetReturnValue().Set(v8::Integer::New(args.GetIsolate(), NODE_MODULE_VERSION));
}
void Init(v8::Local<v8::Object> exports) { NODE_SET_METHOD(exports, "abi", Abi); }
}  // namespace
NODE_MODULE(NODE_GYP_MODULE_NAME, Init)
`;

function plugin(src: string, name: string, files: Record<string, string>): void {
  const dir = join(src, name);
  mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
  const pkg = { name, version: '1.0.0', type: 'module', main: 'index.js', peerDependencies: { '@bulkhead/sdk': '*' } };
  for (const [path, text] of Object.entries({ 'package.json': JSON.stringify(pkg), ...files })) {
    writeFileSync(join(dir, path), text);
  }
}

const INDEX = (name: string, addon: string) => `import { createRequire } from 'node:module';
import { definePlugin } from '@bulkhead/sdk';
const require = createRequire(import.meta.url);
export default definePlugin({
  name: '${name}', version: '1.0.0',
  // Loaded at the first job, as many addon wrappers do: only the install check sees a bad one early.
  execute: () => ({ built: require('./build/Release/${addon}.node').abi(), runs: Number(process.versions.modules) }),
});
`;

test(`a native addon of a plugin pinned to Node ${PINNED} is built for Node ${PINNED}`, async () => {
  const src = tempDir('bulkhead-addon-');
  plugin(src, 'abi-plugin', {
    'binding.gyp': JSON.stringify({ targets: [{ target_name: 'abi', sources: ['addon.cc'] }] }),
    'addon.cc': ADDON,
    'index.js': INDEX('abi-plugin', 'abi'),
  });
  writeFileSync(join(src, 'plugins.yaml'), `version: 1\nplugins:\n  - source: ./abi-plugin\n    node: ${PINNED}\n`);
  const home = tempHome();
  const install = await cli(home, ['install', join(src, 'plugins.yaml')], { timeoutMs: 600_000 });
  assert.equal(install.code, 0, install.stderr);
  const run = await cli(home, ['run', 'abi-plugin', '--json', '--result-only']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { built: ABI[PINNED], runs: ABI[PINNED] });
  // The disk it takes: the pinned Node's binary alone is over 100 MB.
  const list = JSON.parse((await cli(home, ['list', '--json'])).stdout) as {
    plugins: { name: string; diskBytes: number }[];
  };
  const disk = list.plugins.find((p) => p.name === 'abi-plugin')?.diskBytes ?? 0;
  assert.ok(disk > 100 * 1024 * 1024, `${disk} bytes`);
  assert.match((await cli(home, ['list'])).stdout, /abi-plugin .* \d+\.\d MB /);
  assert.match((await cli(home, ['info', 'abi-plugin'])).stdout, /disk {7}\d+\.\d MB \(/);
});

test('an addon that cannot load on the Node its jobs run on fails the install, with the loader’s words', async () => {
  const src = tempDir('bulkhead-addon-');
  plugin(src, 'broken-addon', {
    'build/Release/broken.node': 'this is not a shared object\n',
    'index.js': INDEX('broken-addon', 'broken'),
  });
  writeFileSync(join(src, 'plugins.yaml'), 'version: 1\nplugins:\n  - source: ./broken-addon\n');
  const home = tempHome();
  const install = await cli(home, ['install', join(src, 'plugins.yaml')], { timeoutMs: 600_000 });
  assert.equal(install.code, 1);
  assert.match(
    install.stderr,
    /a native addon does not load on the Node its jobs run on .*:\n\s+node_modules\/broken-addon\/build\/Release\/broken\.node: .*(invalid ELF header|too short)/,
  );
  const list = await cli(home, ['list', '--json']);
  assert.doesNotMatch(list.stdout, /broken-addon/);
});
