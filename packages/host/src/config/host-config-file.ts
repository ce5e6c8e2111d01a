/**
 * config.yaml's text, checked: a mapping of known settings (nested as in {@link HOST_SETTINGS}, or
 * dotted), each of its kind, every problem with its line and column, through the YAML helpers of
 * plugins.yaml. Loaded only when a home has the file.
 * @module
 */
import { issuesOf, type ParsedYaml, type Problem, parseYaml } from '../install/plugins-file-yaml.js';
import { didYouMean } from '../manifest/did-you-mean.js';
import { HOST_SETTINGS, invalid } from './host-config.js';

/**
 * Checks config.yaml's text: a mapping of known settings (nested as in the table, or dotted), each
 * of its kind. Returns the raw values by key (parsed again by {@link loadHostConfig}).
 */
export function parseHostConfig(text: string, file: string): Record<string, unknown> {
  const parsed = parseYaml(text);
  const problems: Problem[] = [...parsed.problems];
  const found: Record<string, unknown> = {};
  if (problems.length === 0) collect(parsed, problems, found);
  if (problems.length > 0) throw invalid(file, issuesOf(file, parsed, problems));
  return found;
}

function collect(parsed: ParsedYaml, problems: Problem[], found: Record<string, unknown>): void {
  const data = parsed.doc.toJS() as unknown;
  if (data === null || data === undefined) return;
  if (typeof data !== 'object' || Array.isArray(data)) {
    problems.push({
      path: [],
      offset: 0,
      message: 'must be a mapping of settings, e.g. "scheduler: { policy: queue }"',
    });
    return;
  }
  const keys = HOST_SETTINGS.map((s) => s.key);
  const groups = new Set(keys.filter((k) => k.includes('.')).map((k) => k.split('.')[0]!));
  const visit = (value: unknown, path: string[]) => {
    const key = path.join('.');
    const setting = HOST_SETTINGS.find((s) => s.key === key);
    if (setting !== undefined) {
      const r = setting.kind.parse(value);
      if ('expected' in r) problems.push({ path, message: `must be ${r.expected} (found ${JSON.stringify(value)})` });
      else found[key] = value;
      return;
    }
    if (path.length === 1 && groups.has(key) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
      return;
    }
    if (path.length === 1 && groups.has(key)) {
      problems.push({ path, message: `must be a mapping (${keys.filter((k) => k.startsWith(`${key}.`)).join(', ')})` });
      return;
    }
    const candidates =
      path.length === 1 ? [...keys.filter((k) => !k.includes('.')), ...groups] : keys.map((k) => k.split('.').at(-1)!);
    const near = didYouMean(path.at(-1)!, candidates);
    const message = `has unknown field "${path.at(-1)}"${near ? ` (did you mean "${near}"?)` : ''}`;
    problems.push({ path: path.slice(0, -1), at: path, atKey: true, message });
  };
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    // A dotted key written flat (`scheduler.policy: queue`) is the same setting.
    visit(v, k.split('.'));
  }
}
