/**
 * Two plugins.yaml lines whose packages call themselves the same: an error naming both lines
 * (exit 1), the earlier line installed, every run the same.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanUp, cli, copyExample, tempHome } from '../cli-helpers.js';

after(cleanUp);

test('two sources whose plugins are both "hello": an error naming both lines, the first line wins', async () => {
  const src = tempHome();
  const first = copyExample('hello', src);
  const second = join(src, 'hello-copy');
  cpSync(first, second, { recursive: true });
  // The copy is another version of the same plugin: a distinct source, the same name.
  const code = join(second, 'index.js');
  writeFileSync(code, readFileSync(code, 'utf8').replace("version: '1.0.0'", "version: '9.9.9'"));
  writeFileSync(join(src, 'plugins.yaml'), 'version: 1\nplugins:\n  - source: ./hello\n  - source: ./hello-copy\n');
  const home = tempHome();
  for (let run = 0; run < 2; run++) {
    const r = await cli(home, ['install', join(src, 'plugins.yaml'), '--json', ...(run ? ['--force'] : [])], {
      timeoutMs: 300_000,
    });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as {
      plugins: { source: string; status: string; error?: { message: string } }[];
    };
    assert.deepEqual(
      report.plugins.map((p) => [p.source, p.status]),
      [
        ['./hello', 'installed'],
        ['./hello-copy', 'failed'],
      ],
    );
    assert.match(report.plugins[1]?.error?.message ?? '', /plugins\.yaml:4: .*named "hello", as .*plugins\.yaml:3/);
    const list = await cli(home, ['list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const hello = (JSON.parse(list.stdout) as { plugins: { name: string; version: string }[] }).plugins.filter(
      (p) => p.name === 'hello',
    );
    assert.deepEqual(
      hello.map((p) => p.version),
      ['1.0.0'],
      'the first line is the one installed',
    );
  }
});
