/**
 * What the plugins.yaml tests share: the built modules (not re-exported by the package's entry),
 * the issues a text is refused with, and a file that uses every field.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isBulkheadError } from 'bulkhead';

// install/ is not (yet) re-exported by the package's entry: load the built modules beside it.
export type PluginsFiles = typeof import('../packages/host/src/install/plugins-file.js');
export type PluginsFileEntry = import('../packages/host/src/install/plugins-file.js').PluginsFileEntry;
export type PluginsFileIssue = import('../packages/host/src/install/plugins-file.js').PluginsFileIssue;
export const { parsePluginsFile, pluginsFileSchemaPath, readPluginsFile } = (await import(
  new URL('./install/plugins-file.js', import.meta.resolve('bulkhead')).href
)) as PluginsFiles;
export const { manifestSchemaPath } = (await import(
  new URL('./manifest/index.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../packages/host/src/manifest/index.js');
export const { didYouMean } = (await import(
  new URL('./manifest/did-you-mean.js', import.meta.resolve('bulkhead')).href
)) as typeof import('../packages/host/src/manifest/did-you-mean.js');

/** A temp dir, removed when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulkhead-plugins-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The issues `text` is refused with, after checking the error's code, message and data agree. */
export function issues(text: string, file = 'plugins.yaml'): PluginsFileIssue[] {
  try {
    parsePluginsFile(text, file);
  } catch (e) {
    assert.ok(isBulkheadError(e, 'ERR_PLUGINS_FILE_INVALID'), String(e));
    const data = e.data as unknown as { file: string; issues: PluginsFileIssue[] };
    assert.equal(data.file, resolve(file));
    assert.equal(e.message, data.issues.map((i) => i.message).join('\n'));
    return data.issues;
  }
  return assert.fail('the file was accepted');
}

/** Just the message lines. */
export const messages = (text: string) => issues(text).map((i) => i.message);

export const lines = (...l: string[]) => `${l.join('\n')}\n`;

// Every field of an entry, `node` as a string: the file the schema describes in full.
export const FULL = lines(
  '# plugins.yaml',
  'version: 1',
  'plugins:',
  '  - source: ./plugins/hello',
  '    name: hello',
  '    node: "22"',
  '    env:',
  '      LOG_LEVEL: debug',
  '    passEnv: [HELLO_TOKEN, HELLO_*]',
  '    config: { greeting: Hi, loud: false }',
  '    resources:',
  '      memoryMB: 200',
  '      gpuMemoryMB: 1024',
  '      gpus: 1',
  '      cpus: 0.5',
  '    limits: { memoryMB: 300, recycleAfterCalls: 1000, recycleAfterGrowthMB: 100 }',
  '    permissions: { fsRead: [./models], fsWrite: [./out], childProcess: true }',
  '    concurrency: 2',
  '    category: audio',
  '',
  '  - source: "@scope/pkg@1.2.3"',
  '  - source: https://example.com/ocr-1.0.0.tgz',
  '    node: 20',
);
