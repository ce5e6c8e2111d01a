import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { isBulkheadError } from 'bulkhead';
import { FULL, issues, lines, messages, parsePluginsFile, readPluginsFile, tempDir } from '../plugins-file-helpers.js';

describe('plugins.yaml: a valid file', () => {
  test('every field is read, "22" becomes 22, and each entry knows its line and index', () => {
    const file = parsePluginsFile(FULL, 'plugins.yaml');
    assert.deepEqual(file, {
      file: resolve('plugins.yaml'),
      dir: process.cwd(),
      plugins: [
        {
          source: './plugins/hello',
          name: 'hello',
          node: 22,
          env: { LOG_LEVEL: 'debug' },
          passEnv: ['HELLO_TOKEN', 'HELLO_*'],
          config: { greeting: 'Hi', loud: false },
          resources: { memoryMB: 200, gpuMemoryMB: 1024, gpus: 1, cpus: 0.5 },
          limits: { memoryMB: 300, recycleAfterCalls: 1000, recycleAfterGrowthMB: 100 },
          permissions: { fsRead: ['./models'], fsWrite: ['./out'], childProcess: true },
          concurrency: 2,
          category: 'audio',
          line: 4,
          index: 0,
        },
        { source: '@scope/pkg@1.2.3', line: 21, index: 1 },
        { source: 'https://example.com/ocr-1.0.0.tgz', node: 20, line: 22, index: 2 },
      ],
    });
  });

  test('an empty plugins list is a valid file', () => {
    assert.deepEqual(parsePluginsFile('version: 1\nplugins: []\n', 'p.yaml').plugins, []);
  });

  test('CRLF line ends and a byte-order mark do not move lines or columns', () => {
    const text = '\ufeffversion: 1\r\nplugins:\r\n  - source: ./a\r\n    concurrency: 0\r\n';
    assert.deepEqual(messages(text), ['plugins.yaml:4:18: plugins[0].concurrency must be at least 1 (found 0)']);
  });

  test("read from disk: relative sources belong to the file's directory; messages name the path as given", async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'conf'));
    const path = join(dir, 'conf', 'plugins.yaml');
    writeFileSync(path, FULL);
    const fromDisk = await readPluginsFile(path);
    assert.equal(fromDisk.file, path);
    assert.equal(fromDisk.dir, join(dir, 'conf'));
    assert.deepEqual(fromDisk, parsePluginsFile(FULL, path));

    writeFileSync(path, 'version: 1\nplugins:\n  - source: ./a\n    node: 16\n');
    await assert.rejects(readPluginsFile(path), (e: unknown) => {
      assert.ok(isBulkheadError(e, 'ERR_PLUGINS_FILE_INVALID'));
      assert.equal(e.message, `${path}:4:11: plugins[0].node must be a major version like 22`);
      assert.deepEqual(e.data, {
        file: path,
        issues: [{ file: path, line: 4, column: 11, path: 'plugins[0].node', message: e.message }],
      });
      return true;
    });
  });

  test('a missing file is ERR_PLUGINS_FILE_INVALID naming it, and so is a directory', async (t) => {
    const dir = tempDir(t);
    const missing = join(dir, 'nowhere', 'plugins.yaml');
    await assert.rejects(readPluginsFile(missing), (e: unknown) => {
      assert.ok(isBulkheadError(e, 'ERR_PLUGINS_FILE_INVALID'));
      assert.equal(e.message, `${missing}: cannot be read (no such file: ${missing})`);
      assert.deepEqual(e.data, {
        file: missing,
        issues: [{ file: missing, line: 0, column: 0, path: '', message: e.message }],
      });
      assert.equal((e.cause as NodeJS.ErrnoException).code, 'ENOENT');
      return true;
    });
    await assert.rejects(readPluginsFile(dir), {
      code: 'ERR_PLUGINS_FILE_INVALID',
      message: `${dir}: cannot be read (it is a directory: ${dir})`,
    });
  });
});

/** Broken files, each with the exact lines it must produce. */
const broken: { name: string; text: string; messages: string[] }[] = [
  {
    name: 'a tab as indentation',
    text: 'version: 1\nplugins:\n\t- source: ./a\n',
    messages: ['plugins.yaml:3:1: a tab indents this line: YAML needs spaces'],
  },
  {
    name: 'a line indented deeper than its field',
    text: lines('version: 1', 'plugins:', '  - source: ./a', '      name: a'),
    messages: [
      'plugins.yaml:4:7: bad indentation: this line is indented deeper than the one above, so it reads as part of its value',
    ],
  },
  {
    name: 'a line that lines up with nothing',
    text: lines('version: 1', 'plugins:', '  - source: ./a', '   name: a'),
    messages: ['plugins.yaml:4:4: bad indentation: this line does not line up with the fields above it'],
  },
  {
    name: 'an unclosed quote (placed where it opens, not at the end of the file)',
    text: lines('version: 1', 'plugins:', '  - source: "./a', '    name: a'),
    messages: ['plugins.yaml:3:13: this quoted value has no closing quote'],
  },
  {
    name: 'an unclosed flow list',
    text: lines('version: 1', 'plugins: [', 'extra: 1'),
    messages: ['plugins.yaml:2:10: this [ list has no closing ]'],
  },
  {
    name: 'an unquoted ": " in a value',
    text: lines('version: 1', 'plugins:', '  - source: ./a', '    category: audio: speech'),
    messages: ['plugins.yaml:4:15: a plain value cannot hold ": ": put the value in quotes'],
  },
  {
    name: 'two documents',
    text: lines('version: 1', 'plugins: []', '---', 'version: 1'),
    messages: ['plugins.yaml:3:1: a second YAML document starts here ("---"): the file must hold one'],
  },
  {
    name: 'duplicate keys, at the second of each',
    text: lines('version: 1', 'plugins:', '  - source: ./a', '    node: 22', '    source: ./b', 'version: 1'),
    messages: [
      'plugins.yaml:5:5: plugins[0] has "source" twice (first on line 3)',
      'plugins.yaml:6:1: the file has "version" twice (first on line 1)',
    ],
  },
  {
    name: 'an alias with no anchor',
    text: lines('version: 1', 'plugins:', '  - source: *hello'),
    messages: ['plugins.yaml:3:13: plugins[0].source uses *hello, but no &hello comes before it'],
  },
  {
    name: 'an empty file',
    text: '',
    messages: ['plugins.yaml:1:1: the file is empty: it needs "version: 1" and a "plugins" list'],
  },
  {
    name: 'only comments',
    text: '# plugins go here\n',
    messages: ['plugins.yaml:1:1: the file is empty: it needs "version: 1" and a "plugins" list'],
  },
  {
    name: 'a list, not a mapping',
    text: '- source: ./a\n',
    messages: ['plugins.yaml:1:1: the file must be a mapping with "version" and "plugins" (found a list)'],
  },
  {
    name: 'a bare word',
    text: 'hello\n',
    messages: ['plugins.yaml:1:1: the file must be a mapping with "version" and "plugins" (found "hello")'],
  },
  {
    name: 'missing required fields, at the mapping that lacks them',
    text: lines('# comment', 'version: 1', 'plugins:', '  - name: a'),
    messages: ['plugins.yaml:4:5: plugins[0] is missing required field "source"'],
  },
  {
    name: 'a missing plugins list',
    text: lines('version: 1'),
    messages: ['plugins.yaml:1:1: the file is missing required field "plugins"'],
  },
  {
    name: 'a newer version, alone (its other "errors" would mislead)',
    text: lines('version: 2', 'plugins: nope', 'runtime: wasm'),
    messages: ['plugins.yaml:1:10: version must be 1 (found 2: a newer Bulkhead wrote it)'],
  },
  {
    name: 'version as a string',
    text: lines('version: "1"', 'plugins: []'),
    messages: ['plugins.yaml:1:10: version must be 1 (found "1")'],
  },
  {
    name: 'an empty plugins field',
    text: lines('version: 1', 'plugins:'),
    messages: ['plugins.yaml:2:9: plugins must be a list (found nothing)'],
  },
  {
    name: 'a bare source instead of an entry',
    text: lines('version: 1', 'plugins:', '  - ./plugins/hello'),
    messages: [
      'plugins.yaml:3:5: plugins[0] must be a mapping (found "./plugins/hello"); write "- source: ./plugins/hello"',
    ],
  },
  {
    name: 'node: every wrong kind, one message each',
    text: lines(
      'version: 1',
      'plugins:',
      '  - { source: a, node: 16 }',
      '  - { source: b, node: 22.5 }',
      '  - { source: c, node: "v22" }',
      '  - { source: d, node: 100 }',
      '  - source: e',
      '    node:',
    ),
    messages: [
      'plugins.yaml:3:24: plugins[0].node must be a major version like 22',
      'plugins.yaml:4:24: plugins[1].node must be a major version like 22',
      'plugins.yaml:5:24: plugins[2].node must be a major version like 22',
      'plugins.yaml:6:24: plugins[3].node must be a major version like 22',
      'plugins.yaml:8:10: plugins[4].node must be a major version like 22',
    ],
  },
  {
    name: 'wrong types, in plain words',
    text: lines(
      'version: 1',
      'plugins:',
      '  - source: ./a',
      '    concurrency: 1.5',
      '    category: 7',
      '    config: [a]',
      '    resources:',
      '      gpus: 0.5',
      '      memoryMB: lots',
      '    env:',
      '      PORT: 8080',
      '      DEBUG: true',
    ),
    messages: [
      'plugins.yaml:4:18: plugins[0].concurrency must be a whole number (found 1.5)',
      'plugins.yaml:5:15: plugins[0].category must be a string (found 7); put it in quotes: "7"',
      'plugins.yaml:6:13: plugins[0].config must be a mapping (found a list)',
      'plugins.yaml:8:13: plugins[0].resources.gpus must be a whole number (found 0.5)',
      'plugins.yaml:9:17: plugins[0].resources.memoryMB must be a number (found "lots")',
      'plugins.yaml:11:13: plugins[0].env.PORT must be a string (found 8080); put it in quotes: "8080"',
      'plugins.yaml:12:14: plugins[0].env.DEBUG must be a string (found true); put it in quotes: "true"',
    ],
  },
  {
    name: 'limits and permissions: wrong kinds, out of range, unknown fields',
    text: lines(
      'version: 1',
      'plugins:',
      '  - source: ./a',
      '    limits: { memoryMB: lots, recycleAfterCalls: 0, recycleAfterGrowthMB: 0, memory: 5 }',
      '    permissions: { fsRead: ./data, fsWrite: [""], childProcess: yes, network: true }',
      '  - source: ./b',
      '    limits: { memoryMB: 0.5 }',
      '    permissions: [fsRead]',
    ),
    messages: [
      'plugins.yaml:4:25: plugins[0].limits.memoryMB must be a number or null (found "lots")',
      'plugins.yaml:4:50: plugins[0].limits.recycleAfterCalls must be at least 1 (found 0)',
      'plugins.yaml:4:75: plugins[0].limits.recycleAfterGrowthMB must be more than 0 (found 0)',
      'plugins.yaml:4:78: plugins[0].limits has unknown field "memory" (did you mean "memoryMB"?)',
      'plugins.yaml:5:28: plugins[0].permissions.fsRead must be a list (found "./data")',
      'plugins.yaml:5:46: plugins[0].permissions.fsWrite[0] must not be empty',
      'plugins.yaml:5:65: plugins[0].permissions.childProcess must be true or false (found "yes")',
      'plugins.yaml:5:70: plugins[0].permissions has unknown field "network"',
      'plugins.yaml:7:25: plugins[1].limits.memoryMB must be at least 1 (found 0.5)',
      'plugins.yaml:8:18: plugins[1].permissions must be a mapping (found a list)',
    ],
  },
  {
    name: 'out of range, empty, and badly named',
    text: lines(
      'version: 1',
      'plugins:',
      '  - source: ""',
      '    name: Hello World',
      '    concurrency: 0',
      '    category: ""',
      '    resources: { cpus: -1 }',
      '    env:',
      '      1ST: x',
      '      MY-VAR: y',
    ),
    messages: [
      'plugins.yaml:3:13: plugins[0].source must not be empty',
      'plugins.yaml:4:11: plugins[0].name "Hello World" is not a valid plugin name: use lowercase letters, digits and . _ - / @, starting with a letter, a digit or @',
      'plugins.yaml:5:18: plugins[0].concurrency must be at least 1 (found 0)',
      'plugins.yaml:6:15: plugins[0].category must not be empty',
      'plugins.yaml:7:24: plugins[0].resources.cpus must be at least 0 (found -1)',
      'plugins.yaml:9:7: plugins[0].env has an invalid variable name "1ST" (use letters, digits and _, not starting with a digit)',
      'plugins.yaml:10:7: plugins[0].env has an invalid variable name "MY-VAR" (use letters, digits and _, not starting with a digit)',
    ],
  },
  {
    name: 'unknown fields at every level, with did-you-mean, at the key',
    text: lines(
      'version: 1',
      'plugins:',
      '  - sorce: ./a',
      '  - path: ./b',
      '    nodeVersion: 22',
      '    environment: { A: b }',
      '    resources: { memoryMb: 100, disk: 5 }',
      '    homepage: https://example.com',
      'plugin: []',
    ),
    messages: [
      'plugins.yaml:3:5: plugins[0] has unknown field "sorce" (did you mean "source"?)',
      'plugins.yaml:4:5: plugins[1] has unknown field "path" (did you mean "source"?)',
      'plugins.yaml:5:5: plugins[1] has unknown field "nodeVersion" (did you mean "node"?)',
      'plugins.yaml:6:5: plugins[1] has unknown field "environment" (did you mean "env"?)',
      'plugins.yaml:7:18: plugins[1].resources has unknown field "memoryMb" (did you mean "memoryMB"?)',
      'plugins.yaml:7:33: plugins[1].resources has unknown field "disk"',
      'plugins.yaml:8:5: plugins[1] has unknown field "homepage"',
      'plugins.yaml:9:1: the file has unknown field "plugin" (did you mean "plugins"?)',
    ],
  },
  {
    name: 'sources npm cannot read, or would read as GitHub',
    text: lines('version: 1', 'plugins:', '  - source: plugins/hello', '  - source: hello world'),
    messages: [
      'plugins.yaml:3:13: plugins[0].source reads as the GitHub repository "plugins/hello": write "./plugins/hello" for a local directory, or "github:plugins/hello" for the repository',
      'plugins.yaml:4:13: plugins[1].source is not an npm package, a local directory or a tarball (Invalid tag name "hello world" of package "hello world": Tags may not have any characters that encodeURIComponent encodes.)',
    ],
  },
  {
    name: 'one plugin twice: by name, by resolved path, by package; at the second',
    text: lines(
      'version: 1',
      'plugins:',
      '  - source: ./plugins/a',
      '    name: a',
      '  - source: plugins/../plugins/a/',
      '  - source: ./b',
      '    name: a',
      '  - source: hello@1',
      '  - source: hello@^2',
      '  - source: ./c.tgz',
      '  - source: c.tgz',
    ),
    messages: [
      'plugins.yaml:5:13: plugins[1].source installs the same directory as plugins[0] (line 3)',
      'plugins.yaml:7:11: plugins[2].name names the same plugin "a" as plugins[0] (line 3)',
      'plugins.yaml:9:13: plugins[4].source installs the same package as plugins[3] (line 8)',
      'plugins.yaml:11:13: plugins[6].source installs the same tarball as plugins[5] (line 10)',
    ],
  },
];

describe('plugins.yaml: broken files say file:line:column, the field, and what is wrong', () => {
  for (const c of broken) {
    test(c.name, () => assert.deepEqual(messages(c.text), c.messages));
  }

  test('every problem is reported at once, in the order of the file, each with its place and field', () => {
    const text = lines(
      'version: 1',
      'plugins:',
      '  - source: ./a',
      '    node: 17',
      '  - sorce: ./b',
      '  - source: ./c',
      '    concurrency: two',
      'extras: true',
    );
    assert.deepEqual(issues(text, 'conf/plugins.yaml'), [
      {
        file: 'conf/plugins.yaml',
        line: 4,
        column: 11,
        path: 'plugins[0].node',
        message: 'conf/plugins.yaml:4:11: plugins[0].node must be a major version like 22',
      },
      {
        file: 'conf/plugins.yaml',
        line: 5,
        column: 5,
        path: 'plugins[1]',
        message: 'conf/plugins.yaml:5:5: plugins[1] has unknown field "sorce" (did you mean "source"?)',
      },
      {
        file: 'conf/plugins.yaml',
        line: 7,
        column: 18,
        path: 'plugins[2].concurrency',
        message: 'conf/plugins.yaml:7:18: plugins[2].concurrency must be a whole number (found "two")',
      },
      {
        file: 'conf/plugins.yaml',
        line: 8,
        column: 1,
        path: '',
        message: 'conf/plugins.yaml:8:1: the file has unknown field "extras"',
      },
    ]);
  });

  test('a misspelt required field is reported once, as the misspelling', () => {
    // "sorce" also leaves "source" missing; saying so too would send the reader to the wrong line.
    assert.deepEqual(messages(lines('version: 1', 'plugins:', '  - sorce: ./a')), [
      'plugins.yaml:3:5: plugins[0] has unknown field "sorce" (did you mean "source"?)',
    ]);
  });

  test('odd env names are quoted in the path', () => {
    const found = issues(lines('version: 1', 'plugins:', '  - source: ./a', '    env: { "A.B": 1 }'));
    assert.deepEqual(
      found.map((i) => i.path),
      ['plugins[0].env', 'plugins[0].env["A.B"]'],
    );
  });
});
