/**
 * `plugins.yaml`: the plugins an application wants installed, and how to run each. Reading one
 * checks all of it against `schemas/plugins-file.schema.json` and reports every problem as
 * `file:line:column: field problem`, the way compilers do, so editors and terminals link to it.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { BulkheadError } from '@bulkhead/sdk/errors';
import type { PluginLimits, PluginPermissions } from '../manifest/index.js';
import { found, schemaProblems } from './plugins-file-schema.js';
import { issuesOf, offsetOf, type ParsedYaml, type Problem, parseYaml, type Segment } from './plugins-file-yaml.js';
import { classifyPythonSource } from './python-source.js';
import { classifySource } from './source.js';

export { PLUGINS_FILE_VERSION, pluginsFileSchemaPath } from './plugins-file-schema.js';
export { dotted, issuesOf } from './plugins-file-yaml.js';

/** One plugin of the file, as written (see the schema's descriptions), with where it was written. */
export interface PluginsFileEntry {
  /** An npm spec, a local directory or a tarball path or URL; relative paths are relative to {@link PluginsFile.dir}. */
  source: string;
  /** The name the plugin must report once installed. */
  name?: string;
  /** The Node major version to run it with (`"22"` in the file reads as 22). */
  node?: number;
  /** Which worker runs it: `node` (default) or `python`. */
  runtime?: 'node' | 'python';
  /** Python: the interpreter version to make its venv from, `"3.12"`. Default: python3 on PATH. */
  python?: string;
  /** Python: what else pip installs first: a requirements file (relative path) or requirement strings. */
  requirements?: string | string[];
  /** Python: the plugin to run, `module:Name` or `:Name` in a file source. Default: the file, or the package's `bulkhead.plugins` entry point. */
  entry?: string;
  /** Python: an environment.yml (relative path); the environment is made by mamba or conda. */
  conda?: string;
  /** Variables set in its worker's environment. */
  env?: Record<string, string>;
  /** Host variables its worker inherits beyond the minimal set: `NAME` or `PREFIX*`. */
  passEnv?: string[];
  /** Config defaults, not yet checked against the plugin's schema. */
  config?: Record<string, unknown>;
  resources?: { memoryMB?: number; gpuMemoryMB?: number; gpus?: number; cpus?: number };
  /** What the host enforces on its workers; written into the installed manifest (null memoryMB: no limit). */
  limits?: PluginLimits;
  /** Node: its permission set under Node's permission model; relative paths are relative to the file. */
  permissions?: PluginPermissions;
  concurrency?: number;
  category?: string;
  /** 1-based line of the entry in the file, for messages */
  line: number;
  /** index in plugins[] */
  index: number;
}

/** A plugins file that passed every check. */
export interface PluginsFile {
  /** The file's absolute path. */
  file: string;
  /** directory of the file: relative local `source` paths resolve against it */
  dir: string;
  plugins: PluginsFileEntry[];
}

/** One problem with a plugins file. */
export interface PluginsFileIssue {
  /** The file as it was given (the start of `message`). */
  file: string;
  /** 1-based; 0 when the problem has no place in the text (the file cannot be read). */
  line: number;
  column: number;
  /** The field, like "plugins[2].node"; `''` for the whole file. */
  path: string;
  /** The whole line, e.g. "plugins.yaml:12:5: plugins[2].node must be a major version like 22". */
  message: string;
}

/** `data` of the `ERR_PLUGINS_FILE_INVALID` that a bad plugins file throws. */
export interface PluginsFileErrorData {
  /** The file's absolute path. */
  file: string;
  issues: PluginsFileIssue[];
}

/**
 * Reads and checks a plugins file. Throws `ERR_PLUGINS_FILE_INVALID` whose message lists every problem,
 * one per line, and whose `data` is {@link PluginsFileErrorData}; a file that cannot be read throws
 * the same, with one issue at line 0.
 *
 * @example
 * const { dir, plugins } = await readPluginsFile('plugins.yaml');
 * // throws: plugins.yaml:12:5: plugins[2].node must be a major version like 22
 */
export async function readPluginsFile(file: string): Promise<PluginsFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(e));
    const message = `${file}: cannot be read (${why}: ${resolve(file)})`;
    const issue: PluginsFileIssue = { file, line: 0, column: 0, path: '', message };
    throw invalid(file, [issue], e);
  }
  return parsePluginsFile(text, file);
}

/** {@link readPluginsFile} for text already read; `file` names it in messages and places `dir`. */
export function parsePluginsFile(text: string, file: string): PluginsFile {
  const parsed = parseYaml(text);
  const problems = parsed.problems;
  const data = problems.length === 0 ? wholeFile(parsed, problems) : undefined;
  const dir = dirname(resolve(file));
  if (data !== undefined) problems.push(...schemaProblems(data), ...entryProblems(data, dir, parsed));
  if (problems.length > 0) throw invalid(file, issuesOf(file, parsed, problems));

  const plugins = (data!.plugins as Record<string, unknown>[]).map((raw, index) => {
    const { node, ...rest } = raw;
    const entry = { ...rest, line: lineOf(parsed, ['plugins', index]), index } as PluginsFileEntry;
    if (node !== undefined) entry.node = Number(node);
    return entry;
  });
  return { file: resolve(file), dir, plugins };
}

/** The file's data, or undefined after saying why it is not a mapping. */
function wholeFile(parsed: ParsedYaml, problems: Problem[]): Record<string, unknown> | undefined {
  let data: unknown;
  try {
    data = parsed.doc.toJS();
  } catch (e) {
    // Only an alias bomb gets here (dangling aliases were reported): yaml stops expanding it.
    problems.push({ path: [], offset: 0, message: `cannot be read as data (${(e as Error).message})` });
    return undefined;
  }
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) return data as Record<string, unknown>;
  const message =
    data === null || data === undefined
      ? 'is empty: it needs "version: 1" and a "plugins" list'
      : `must be a mapping with "version" and "plugins" (found ${found(data)})`;
  problems.push({ path: [], offset: 0, message });
  return undefined;
}

/** What the schema cannot see: sources npm would misread, and two entries for one plugin. */
function entryProblems(data: Record<string, unknown>, dir: string, parsed: ParsedYaml): Problem[] {
  if (!Array.isArray(data.plugins)) return [];
  const problems: Problem[] = [];
  const names = new Map<string, number>();
  const sources = new Map<string, number>();
  // Reported on the second entry: the first is the one the reader meant, the later one the slip.
  const once = (seen: Map<string, number>, key: string, index: number, field: string, what: string) => {
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, index);
      return;
    }
    const line = lineOf(parsed, ['plugins', first]);
    problems.push({ path: ['plugins', index, field], message: `${what} as plugins[${first}] (line ${line})` });
  };
  data.plugins.forEach((entry: unknown, index) => {
    const { source, name } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof name === 'string') once(names, name, index, 'name', `names the same plugin "${name}"`);
    if (typeof source !== 'string' || source === '') return;
    const python = (entry as Record<string, unknown>).runtime === 'python';
    const read = python ? classifyPythonSource(source, dir) : classifySource(source, dir);
    if (!python) {
      for (const field of ['python', 'requirements', 'entry', 'conda']) {
        if ((entry as Record<string, unknown>)[field] !== undefined) {
          problems.push({ path: ['plugins', index, field], message: 'is for Python plugins: add "runtime: python"' });
        }
      }
    } else if ((entry as Record<string, unknown>).node !== undefined) {
      problems.push({
        path: ['plugins', index, 'node'],
        message: 'is for Node plugins, and this entry has "runtime: python"',
      });
    }
    if ('problem' in read) problems.push({ path: ['plugins', index, 'source'], message: read.problem });
    else
      once(
        sources,
        read.key,
        index,
        'source',
        `installs the same ${read.kind === 'registry' || read.kind === 'pip' ? 'package' : read.kind.replace('python-', '')}`,
      );
  });
  return problems;
}

function lineOf(parsed: ParsedYaml, path: Segment[]): number {
  return parsed.lines.linePos(offsetOf(parsed.doc, path)).line;
}

function invalid(file: string, issues: PluginsFileIssue[], cause?: unknown): BulkheadError<'ERR_PLUGINS_FILE_INVALID'> {
  // ConfigIssue's `path` and `message`, with the file and place; `file` rides beside `issues`.
  const data: PluginsFileErrorData = { file: resolve(file), issues };
  const message = issues.map((i) => i.message).join('\n');
  return new BulkheadError('ERR_PLUGINS_FILE_INVALID', message, data, cause === undefined ? undefined : { cause });
}
