/**
 * The path of a doc the CLI points to (`--help`, hints), as it lies on this machine: a package
 * installed from npm ships them in its own docs/ (copied in when it is packed), and in the
 * repository they are the repository's docs/. Relative to the working directory where that is
 * below it (`node_modules/bulkhead/docs/cli.md` in a project, `docs/cli.md` in the repository).
 * @module
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export function docPath(name: string): string {
  // From dist/cli/: the package's docs/, then the repository's.
  for (const up of ['../../docs/', '../../../../docs/']) {
    const file = fileURLToPath(new URL(up + name, import.meta.url));
    if (existsSync(file)) {
      const rel = relative(process.cwd(), file);
      return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
    }
  }
  return `docs/${name}`;
}
