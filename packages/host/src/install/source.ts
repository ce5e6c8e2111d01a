/**
 * Where a plugin comes from: an npm spec, a local directory or a tarball, told apart the way npm
 * itself does (npm-package-arg), with relative paths taken from the plugins.yaml's directory.
 * @module
 */
import { BulkheadError } from '@bulkhead/sdk/errors';
import npa from 'npm-package-arg';

export type SourceKind = 'directory' | 'tarball' | 'registry' | 'remote' | 'git';

export interface PluginSource {
  /** As written in plugins.yaml. */
  written: string;
  kind: SourceKind;
  /** What `npm install` is given: absolute for local paths. */
  spec: string;
  /** The npm package name when the spec says it (registry specs); else known after install. */
  packageName?: string;
}

export function resolveSource(written: string, baseDir: string): PluginSource {
  let parsed: npa.Result;
  try {
    parsed = npa(written, baseDir);
  } catch (e) {
    throw new BulkheadError(
      'ERR_INVALID_ARGUMENT',
      `"${written}" is not an npm spec, a directory or a tarball: ${(e as Error).message}`,
    );
  }
  switch (parsed.type) {
    case 'directory':
      return { written, kind: 'directory', spec: parsed.fetchSpec ?? written };
    case 'file':
      return { written, kind: 'tarball', spec: parsed.fetchSpec ?? written };
    case 'remote':
      return { written, kind: 'remote', spec: written };
    case 'git':
      return { written, kind: 'git', spec: written };
    default:
      return { written, kind: 'registry', spec: written, ...(parsed.name ? { packageName: parsed.name } : {}) };
  }
}
