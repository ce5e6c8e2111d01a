/**
 * A plugin module under another name: the module at `file` re-exported with `definePlugin({ name })`.
 * A manifest must name its plugin as the plugin names itself (ERR_PLUGIN_NAME_MISMATCH), so the
 * tests and the benchmarks that run one fixture under many names write one of these per name.
 * @module
 */
import { pathToFileURL } from 'node:url';

/** The text of a module that is the plugin at `file`, calling itself `name`. */
export function renamedPluginModule(file: string, name: string): string {
  return [
    `import { definePlugin } from ${JSON.stringify(import.meta.resolve('@bulkhead/sdk'))};`,
    `import plugin from ${JSON.stringify(pathToFileURL(file).href)};`,
    `export default definePlugin({ ...plugin.definition, name: ${JSON.stringify(name)} });`,
    '',
  ].join('\n');
}
