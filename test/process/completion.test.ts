/**
 * `bulkhead completion`: the scripts, run by real shells. bash is asked as its completion asks
 * (COMP_WORDS, COMP_CWORD, then the function); zsh runs the same function through bashcompinit,
 * as its completion system would (sh emulation), and filters what it returns itself.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanUp, cli, tempHome } from '../cli-helpers.js';
import { tempDir } from '../helpers.js';

after(cleanUp);

const home = tempHome();
mkdirSync(join(home, 'plugins', 'thumbnail'), { recursive: true });
mkdirSync(join(home, 'plugins', '.staging'), { recursive: true });

function has(shell: string): boolean {
  return spawnSync(shell, ['-c', 'true']).status === 0;
}

async function scriptFile(shell: string): Promise<string> {
  const r = await cli(home, ['completion', shell]);
  assert.equal(r.code, 0, r.stderr);
  const file = join(tempDir('bulkhead-completion-'), `completion.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

test('bash: commands, subcommands, options and plugin names', async (t) => {
  if (!has('bash')) return t.skip('bash is not installed');
  const file = await scriptFile('bash');
  const complete = (...words: string[]) => {
    const r = spawnSync(
      'bash',
      [
        '-c',
        `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bulkhead; printf '%s\\n' "\${COMPREPLY[@]}"`,
        file,
        ...words,
      ],
      { encoding: 'utf8', env: { ...process.env, BULKHEAD_HOME: home } },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  assert.deepEqual(complete('bulkhead', 'jo'), ['jobs']);
  assert.deepEqual(complete('bulkhead', 'jobs', 'p'), ['prune']);
  assert.deepEqual(complete('bulkhead', 'jobs', 'prune', '--ol'), ['--older-than']);
  assert.deepEqual(complete('bulkhead', '--home', '/x', 'run', 'thu'), ['thumbnail']);
  assert.deepEqual(complete('bulkhead', 'config', 'get', ''), ['thumbnail']);
  assert.ok(complete('bulkhead', 'run', '--').includes('--file'));
  assert.deepEqual(complete('bulkhead', 'compl'), ['completion']);
});

test('zsh: the same function through bashcompinit', async (t) => {
  if (!has('zsh')) return t.skip('zsh is not installed');
  const file = await scriptFile('zsh');
  const complete = (...words: string[]) => {
    const r = spawnSync(
      'zsh',
      [
        '-c',
        `autoload -U compinit && compinit -u -D; source "$1"; shift; emulate -L sh; setopt kshglob noshglob braceexpand; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bulkhead; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'zsh',
        file,
        ...words,
      ],
      { encoding: 'utf8', env: { ...process.env, BULKHEAD_HOME: home, HOME: tempDir('bulkhead-zsh-home-') } },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  assert.ok(complete('bulkhead', 'jobs', '').includes('retry'));
  assert.ok(complete('bulkhead', 'jobs', 'prune', '-').includes('--older-than'));
  assert.ok(complete('bulkhead', 'enable', '').includes('thumbnail'));
});

test('an unknown shell is bad usage', async () => {
  const r = await cli(home, ['completion', 'fish']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no completion for "fish"/);
});
