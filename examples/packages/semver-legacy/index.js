// Depends on semver 6 while its twin depends on another major: each plugin's environment has its
// own node_modules, so each sees its own copy. It reports the version it loaded to prove it.
import { createRequire } from 'node:module';
import { definePlugin } from '@bulkhead/sdk';
import semver from 'semver';

const seen = createRequire(import.meta.url)('semver/package.json').version;

export default definePlugin({
  name: 'semver-legacy',
  version: '1.0.0',
  description: 'Sorts versions with semver 6 and says which semver it sees',
  execute(input) {
    const versions = Array.isArray(input?.versions) ? input.versions.map(String) : [];
    return { semver: seen, sorted: versions.filter((v) => semver.valid(v)).sort(semver.compare) };
  },
});
