/**
 * Where a plugin comes from: an npm spec, a local directory or a tarball, told apart the way npm
 * itself does (npm-package-arg), with relative paths taken from the plugins.yaml's directory.
 * plugins.yaml's checks and the installer read a source through the same function, so they never
 * disagree about what it is.
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
  /**
   * What it installs, equal for two sources that install the same thing: an absolute path, a URL,
   * or `npm:<package>` (an alias counts as the package it stands for).
   */
  key: string;
}

/**
 * Reads `written`, or says what is wrong with it in words that follow "plugins[0].source".
 *
 * @example
 * classifySource('./plugins/hello', '/app') // { kind: 'directory', spec: '/app/plugins/hello', key: '/app/plugins/hello', … }
 * classifySource('plugins/hello', '/app') // { problem: 'reads as the GitHub repository "plugins/hello": …' }
 */
export function classifySource(written: string, baseDir: string): PluginSource | { problem: string } {
  let parsed: npa.Result;
  try {
    parsed = npa(written, baseDir);
  } catch (e) {
    return { problem: `is not an npm package, a local directory or a tarball (${(e as Error).message})` };
  }
  switch (parsed.type) {
    case 'directory':
    case 'file': {
      const spec = parsed.fetchSpec ?? written;
      return { written, kind: parsed.type === 'file' ? 'tarball' : 'directory', spec, key: spec };
    }
    case 'remote':
      return { written, kind: 'remote', spec: written, key: parsed.saveSpec ?? parsed.fetchSpec ?? written };
    case 'git':
      // npm reads "plugins/hello" as github:plugins/hello. In a file of local paths that is far
      // likelier a directory missing its "./", and npm's error for it would name GitHub, not the file.
      if (/^[^:@#]+\/[^:]+$/.test(written)) {
        return {
          problem: `reads as the GitHub repository "${written}": write "./${written}" for a local directory, or "github:${written}" for the repository`,
        };
      }
      return { written, kind: 'git', spec: written, key: parsed.saveSpec ?? parsed.fetchSpec ?? written };
    default: {
      const name = parsed.type === 'alias' ? (parsed as npa.AliasResult).subSpec.name : parsed.name;
      return {
        written,
        kind: 'registry',
        spec: written,
        key: `npm:${name ?? written}`,
        ...(parsed.name ? { packageName: parsed.name } : {}),
      };
    }
  }
}

/** {@link classifySource}, throwing ERR_INVALID_ARGUMENT for a source it cannot read. */
export function resolveSource(written: string, baseDir: string): PluginSource {
  const source = classifySource(written, baseDir);
  if ('problem' in source) throw new BulkheadError('ERR_INVALID_ARGUMENT', `"${written}" ${source.problem}`);
  return source;
}
