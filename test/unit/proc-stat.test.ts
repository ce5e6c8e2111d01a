import assert from 'node:assert/strict';
import { test } from 'node:test';

// util/ is not part of the package's public entry: load the built module beside it.
const { parseProcStat, ticksToMs, USER_HZ } = (await import(
  new URL('./util/proc-stat.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../../packages/host/src/util/proc-stat.js');

// A line as Linux 6 writes it (52 fields), for a command whose name holds spaces and parentheses.
const fields = (comm: string) =>
  `4242 (${comm}) S 1 4240 4240 0 -1 4194560 1500 0 0 0 250 75 10 5 20 0 3 0 987654 123456789 2048 ` +
  '18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n';

test('a stat line parses into its fields, whatever the command name holds', () => {
  for (const comm of ['node', 'my worker', 'a) S 9 (b', ')']) {
    assert.deepEqual(parseProcStat(fields(comm)), {
      state: 'S',
      pgid: 4240,
      cpuTicks: 325,
      childCpuTicks: 15,
      startTicks: 987654,
      rssPages: 2048,
    });
  }
});

test('anything that is not a stat line is undefined, not a guess', () => {
  assert.equal(parseProcStat(undefined), undefined);
  assert.equal(parseProcStat(''), undefined);
  assert.equal(parseProcStat('4242 node S 1'), undefined);
  assert.equal(parseProcStat('4242 (node) S 1 4240'), undefined);
});

test('ticks are USER_HZ a second', () => {
  assert.equal(USER_HZ, 100);
  assert.equal(ticksToMs(325), 3250);
});
