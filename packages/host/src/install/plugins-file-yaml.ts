/**
 * The YAML side of plugins.yaml: parsing it with every node's position kept, saying what is wrong
 * with the YAML itself, and finding the line and column of a field that the schema refused.
 * @module
 */
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import type { PluginsFileIssue } from './plugins-file.js';

/** A step into the data: a mapping key or a list index. */
export type Segment = string | number;

/** Something wrong, before it has a line and column: `offset` into the text, or a place to find. */
export interface Problem {
  /** The field the message is about (`[]`: the whole file); absent for faults in the YAML text itself. */
  path?: Segment[];
  /** Words that follow the path: "must be a whole number (found 1.5)". */
  message: string;
  /** Where it is, when known already. */
  offset?: number;
  /** Otherwise the field to point at (default `path`), and whether at its key rather than its value. */
  at?: Segment[];
  atKey?: boolean;
}

/** A parsed file: the document with positions, and what stops it from being read as data. */
export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
  problems: Problem[];
}

/** Parses `text`, collecting syntax errors, duplicate keys and dangling aliases rather than throwing. */
export function parseYaml(text: string): ParsedYaml {
  const lines = new LineCounter();
  // uniqueKeys off: the walk below reports a repeated key with the field it is in and the line
  // of the first one, which yaml's own "Map keys must be unique" does not.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  // yaml reports an over-indented line twice at one place; the multi-line report says which line.
  const multiline = new Set(doc.errors.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]));
  const problems = [...doc.errors, ...doc.warnings]
    .filter((e) => !(e.code === 'BLOCK_AS_IMPLICIT_KEY' && multiline.has(e.pos[0])))
    .map((e) => syntaxProblem(text, doc, e));
  if (problems.length === 0) walk(doc, doc.contents, [], lines, problems);
  return { doc, lines, problems };
}

/** Where a problem found by the schema is: the offset of its field's value, or key (see {@link Problem}). */
export function offsetOf(doc: Document.Parsed, path: readonly Segment[], atKey = false): number {
  let node: unknown = doc.contents;
  let key: unknown;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      // The last pair, as toJS() keeps the last of repeated keys.
      const pair = node.items.findLast((p) => keyName(p.key) === String(segment));
      if (pair === undefined) break;
      [key, node] = [pair.key, pair.value ?? pair.key];
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      [key, node] = [undefined, node.items[segment]];
    } else break;
  }
  return start(atKey && key !== undefined ? key : node) ?? 0;
}

function start(node: unknown): number | undefined {
  return (node as Partial<Node> | null)?.range?.[0];
}

function keyName(key: unknown): string {
  return String(isScalar(key) ? key.value : key);
}

// yaml words its errors for people who know YAML's grammar, and places them where its parser gave
// up rather than where the fix goes (the end of the file, for a missing quote); these say what to
// fix, and point where the fix goes.
function syntaxProblem(text: string, doc: Document.Parsed, e: YAMLError): Problem {
  const [offset, end] = e.pos;
  switch (e.code) {
    case 'TAB_AS_INDENT':
      return { offset, message: 'a tab indents this line: YAML needs spaces' };
    case 'MULTIPLE_DOCS':
      return { offset, message: 'a second YAML document starts here ("---"): the file must hold one' };
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BLOCK_AS_IMPLICIT_KEY': {
      // A line indented deeper than its neighbours reads as more of the value above it, which
      // yaml then blames. The line to fix is the next one.
      const next = text.indexOf('\n', offset);
      if (next !== -1 && next < end) {
        const message =
          'bad indentation: this line is indented deeper than the one above, so it reads as part of its value';
        return { offset: firstNonSpace(text, next + 1), message };
      }
      return { offset, message: 'a plain value cannot hold ": ": put the value in quotes' };
    }
  }
  if (e.code === 'MISSING_CHAR' && /quote/.test(e.message)) {
    return { offset: opening(doc, offset, 'Scalar'), message: 'this quoted value has no closing quote' };
  }
  const flow = /^Flow (sequence|map)/.exec(e.message);
  if (flow !== null) {
    const [kind, close] = flow[1] === 'map' ? ['{ mapping', '}'] : ['[ list', ']'];
    return {
      offset: opening(doc, offset, flow[1] === 'map' ? 'Map' : 'Seq'),
      message: `this ${kind} has no closing ${close}`,
    };
  }
  if (/same column|without - indicator/.test(e.message)) {
    const line = text.lastIndexOf('\n', offset - 1) + 1;
    return {
      offset: firstNonSpace(text, line),
      message: 'bad indentation: this line does not line up with the fields above it',
    };
  }
  return { offset, message: `not valid YAML (${e.message.charAt(0).toLowerCase()}${e.message.slice(1)})` };
}

function firstNonSpace(text: string, from: number): number {
  let i = from;
  while (text[i] === ' ') i++;
  return i;
}

/** Reports what parses but cannot become plain data: repeated keys, list or mapping keys, unknown aliases. */
function walk(doc: Document.Parsed, node: unknown, path: Segment[], lines: LineCounter, out: Problem[]): void {
  if (isAlias(node)) {
    if (node.resolve(doc) === undefined) {
      const message = `uses *${node.source}, but no &${node.source} comes before it`;
      out.push({ path, offset: start(node) ?? 0, message });
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) walk(doc, item, [...path, i], lines, out);
  } else if (isMap(node)) {
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const offset = start(pair.key) ?? start(pair.value) ?? 0;
      if (isCollection(pair.key)) {
        out.push({ path, offset, message: 'has a list or mapping as a key: keys must be plain names' });
        continue;
      }
      const name = keyName(pair.key);
      const first = seen.get(name);
      if (first === undefined) seen.set(name, offset);
      else out.push({ path, offset, message: `has "${name}" twice (first on line ${lines.linePos(first).line})` });
      walk(doc, pair.value, [...path, name], lines, out);
    }
  }
}

/** Where the innermost quoted scalar or flow collection that runs on to `offset` opens. */
function opening(doc: Document.Parsed, offset: number, kind: 'Scalar' | 'Map' | 'Seq'): number {
  let found = offset;
  const check = (node: Node) => {
    const [from, , to] = node.range ?? [];
    const open = isScalar(node) ? node.type?.startsWith('QUOTE') : (node as { flow?: boolean }).flow;
    if (open && from !== undefined && from < offset && offset <= to!) found = from;
  };
  visit(doc, { [kind]: (_: unknown, node: Node) => check(node) });
  return found;
}

/** Problems as issues, in the order of the file, each once. */
export function issuesOf(file: string, parsed: ParsedYaml, problems: Problem[]): PluginsFileIssue[] {
  const placed = problems.map((p) => {
    const offset = p.offset ?? offsetOf(parsed.doc, p.at ?? p.path ?? [], p.atKey);
    const { line, col: column } = parsed.lines.linePos(offset);
    const path = dotted(p.path ?? []);
    const subject = p.path === undefined ? '' : `${path === '' ? 'the file' : path} `;
    const message = `${file}:${line}:${column}: ${subject}${p.message}`;
    // One fault in the YAML text can trip several of yaml's checks at one place; the first says it.
    const key = p.path === undefined ? `${line}:${column}` : message;
    return { issue: { file, line, column, path, message }, offset, key };
  });
  placed.sort((a, b) => a.offset - b.offset);
  const seen = new Set<string>();
  return placed.filter((p) => !seen.has(p.key) && seen.add(p.key)).map((p) => p.issue);
}

/** `['plugins', 2, 'env', 'A-B']` → `plugins[2].env["A-B"]`. */
export function dotted(path: readonly Segment[]): string {
  return path
    .map((s, i) => {
      if (typeof s === 'number') return `[${s}]`;
      if (!/^[A-Za-z_$][\w$]*$/.test(s)) return `[${JSON.stringify(s)}]`;
      return i === 0 ? s : `.${s}`;
    })
    .join('');
}
