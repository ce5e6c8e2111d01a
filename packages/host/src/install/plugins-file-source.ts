/**
 * The checks plugins.yaml makes on a `source` before anything is installed: that npm can read it,
 * that it means what its writer surely meant, and which thing it installs (to find two entries for one).
 * @module
 */
import npa from 'npm-package-arg';

/**
 * What `source` installs, as a key two entries share when they install the same thing (an absolute
 * path, a URL, `npm:<package>`), or what is wrong with it in words that follow "plugins[0].source".
 * Relative paths are taken from `dir`.
 *
 * @example
 * sourceKey('./plugins/hello', '/app') // { key: '/app/plugins/hello', kind: 'directory' }
 * sourceKey('plugins/hello', '/app') // { problem: 'reads as the GitHub repository "plugins/hello": …' }
 */
export function sourceKey(source: string, dir: string): { key: string; kind: string } | { problem: string } {
  let spec: npa.Result;
  try {
    spec = npa(source, dir);
  } catch (e) {
    return { problem: `is not an npm package, a local directory or a tarball (${(e as Error).message})` };
  }
  switch (spec.type) {
    case 'range':
    case 'version':
    case 'tag':
      return { key: `npm:${spec.name}`, kind: 'package' };
    case 'alias':
      return { key: `npm:${(spec as npa.AliasResult).subSpec.name}`, kind: 'package' };
    case 'directory':
    case 'file':
      return { key: spec.fetchSpec!, kind: spec.type === 'file' ? 'tarball' : 'directory' };
    default:
      // npm reads "plugins/hello" as github:plugins/hello. In a file of local paths that is far
      // likelier a directory missing its "./", and npm's error for it would name GitHub, not the file.
      if (spec.type === 'git' && /^[^:@#]+\/[^:]+$/.test(source)) {
        return {
          problem: `reads as the GitHub repository "${source}": write "./${source}" for a local directory, or "github:${source}" for the repository`,
        };
      }
      return { key: spec.saveSpec ?? spec.fetchSpec ?? source, kind: spec.type };
  }
}
