/**
 * The public API as the built packages declare it, read from the emitted `.d.ts` files (TypeScript
 * 7 has no compiler API to ask): each entry point's exported names, which of them exist at run
 * time, and the names that a public declaration mentions but no entry point exports.
 *
 * The reading is deliberately plain: a `.d.ts` file that tsc emitted has one top-level statement per
 * line start (bodies are indented), `import`/`export … from` lines on one line each.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from './helpers.js';

/** The entry points of both packages: specifier → its `.d.ts`, from each package.json's exports. */
export function entryPoints(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const dir of ['packages/sdk', 'packages/host']) {
    const pkg = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, string | { types?: string }>;
    };
    for (const [sub, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string' || target.types === undefined) continue; // package.json, schemas
      entries.set(sub === '.' ? pkg.name : `${pkg.name}${sub.slice(1)}`, resolve(repoRoot, dir, target.types));
    }
  }
  return entries;
}

interface ParsedFile {
  /** Top-level declarations: name → their text (comments and string literals removed). */
  declared: Map<string, string>;
  /** Names that come from elsewhere (imports and `export … from`): local name → [file, name there]. */
  links: Map<string, [string, string]>;
  /** Names this file exports. */
  exported: Set<string>;
}

const cache = new Map<string, ParsedFile>();

/** The `.d.ts` a specifier in `from` names, or null for a module outside both packages. */
function target(from: string, spec: string): string | null {
  if (spec.startsWith('.')) return resolve(dirname(from), spec.replace(/\.js$/, '.d.ts'));
  const sdk = /^@bulkhead\/sdk(\/.+)?$/.exec(spec);
  if (sdk) return entryPoints().get(spec) ?? null;
  return null;
}

function parse(file: string): ParsedFile {
  const hit = cache.get(file);
  if (hit) return hit;
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, (s) =>
      // Keep module specifiers (needed below); blank other literals, whose words are not names.
      /^['"]\.{0,2}[/@a-z]/.test(s) && !/\s/.test(s) ? s : "''",
    );
  const parsed: ParsedFile = { declared: new Map(), links: new Map(), exported: new Set() };
  const statements = text.split(/\n(?=\S)/);
  for (const st of statements) {
    const from = /from ['"]([^'"]+)['"]/.exec(st)?.[1];
    const list = /^(?:import|export)(?: type)? \{([^}]*)\}/.exec(st)?.[1];
    if (list !== undefined) {
      const isExport = st.startsWith('export');
      for (const item of list
        .split(',')
        .map((s) => s.trim().replace(/^type /, ''))
        .filter(Boolean)) {
        const [orig, local = orig] = item.split(/\s+as\s+/) as [string, string?];
        if (isExport) parsed.exported.add(local);
        const where = from === undefined ? null : target(file, from);
        if (where !== null && existsSync(where)) parsed.links.set(local, [where, orig]);
      }
      continue;
    }
    const decl =
      /^(export )?(?:declare )?(?:abstract )?(?:class|interface|type|function|const|let|enum) ([A-Za-z_$][\w$]*)/.exec(
        st,
      );
    if (decl) {
      const name = decl[2] as string;
      parsed.declared.set(name, `${parsed.declared.get(name) ?? ''}\n${st}`);
      if (decl[1]) parsed.exported.add(name);
    }
  }
  cache.set(file, parsed);
  return parsed;
}

/** Where `name`, as seen in `file`, is declared: [file, name], following imports and re-exports. */
function origin(file: string, name: string, depth = 0): [string, string] | null {
  const p = parse(file);
  if (p.declared.has(name)) return [file, name];
  const link = p.links.get(name);
  if (link === undefined || depth > 20) return null;
  return origin(link[0], link[1], depth + 1);
}

/** Every name an entry point exports (types included). */
export function exportedNames(dts: string): string[] {
  return [...parse(dts).exported].sort();
}

/**
 * Names that a public declaration mentions (a parameter, a field, a return type, a base class) and
 * that are declared in one of the packages but exported by none of their entry points: a user can
 * meet a value of that type and cannot name it. Each as `declaration → missing (file)`.
 */
export function unexportedTypes(): string[] {
  const publicOrigins = new Set<string>();
  const todo: [string, string][] = [];
  for (const dts of entryPoints().values()) {
    for (const name of parse(dts).exported) {
      const o = origin(dts, name);
      if (o !== null && !publicOrigins.has(o.join('#'))) {
        publicOrigins.add(o.join('#'));
        todo.push(o);
      }
    }
  }
  const missing = new Set<string>();
  for (const [file, name] of todo) {
    const body = parse(file).declared.get(name) ?? '';
    // `typeof X` (a zod schema a type is inferred from) and `[X]` (a brand symbol as a key) name
    // values, which a user never needs to name; the type they give is what is exported.
    const named = body.replace(/typeof [\w$.]+|\[[A-Z_][\w$]*\]/g, '');
    for (const word of new Set(named.match(/\b[A-Z][A-Za-z0-9_]*\b/g) ?? [])) {
      if (word === name) continue;
      const o = origin(file, word);
      if (o === null || publicOrigins.has(o.join('#'))) continue;
      missing.add(`${name} → ${word} (${o[0].slice(repoRoot.length + 1)})`);
    }
  }
  return [...missing].sort();
}
