/**
 * Where a Python plugin comes from (`runtime: python` in plugins.yaml): a pip requirement
 * (`whisper-plugin==1.2`, `pkg[extra]>=2`, a URL), a local project directory (`./plugins/asr`,
 * installed with pip), or a single file (`./plugins/upper.py`, copied into the environment).
 * @module
 */
import { isAbsolute, resolve } from 'node:path';

export type PythonSourceKind = 'pip' | 'python-directory' | 'python-file';

export interface PythonSource {
  written: string;
  kind: PythonSourceKind;
  /** What pip is given (absolute for local paths), or the file to copy. */
  spec: string;
  /** Equal for two sources that install the same thing. */
  key: string;
}

const REQUIREMENT =
  /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,\s-]*\])?\s*(([<>=!~]=?|===)\s*[^\s;]+\s*(,\s*([<>=!~]=?|===)\s*[^\s;]+\s*)*)?(;.*)?$/;
const URL_SOURCE = /^(git\+)?(https?|file):\/\//;

/** Reads `written`, or says what is wrong with it in words that follow "plugins[0].source". */
export function classifyPythonSource(written: string, baseDir: string): PythonSource | { problem: string } {
  const local = written.startsWith('./') || written.startsWith('../') || isAbsolute(written) || written === '.';
  if (local) {
    const spec = resolve(baseDir, written);
    const kind = spec.endsWith('.py') ? 'python-file' : 'python-directory';
    return { written, kind, spec, key: spec };
  }
  if (URL_SOURCE.test(written)) return { written, kind: 'pip', spec: written, key: written };
  if (!REQUIREMENT.test(written)) {
    return {
      problem: `is not a pip requirement (like "pkg==1.2"), a URL, or a local path (start local paths with ./ or ../)`,
    };
  }
  const name = (/^[A-Za-z0-9._-]+/.exec(written)?.[0] ?? written).toLowerCase().replace(/[-_.]+/g, '-');
  return { written, kind: 'pip', spec: written, key: `pypi:${name}` };
}

export function isPythonSource(s: { kind: string }): s is PythonSource {
  return s.kind === 'pip' || s.kind === 'python-directory' || s.kind === 'python-file';
}
