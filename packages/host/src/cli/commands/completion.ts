/**
 * `bulkhead completion [bash|zsh]`: a completion script made from the command tree itself, so
 * it cannot drift from the commands: commands, subcommands and options, and plugin names (the
 * environments under the home) where a command takes one. zsh runs the same function through
 * its bash compatibility layer (`bashcompinit`).
 * @module
 */

import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import type { Command } from 'commander';
import { usage } from '../cli-error.js';
import type { CommandContext } from '../context.js';

/** Commands whose first argument is a plugin name. */
const TAKES_PLUGIN = new Set(['uninstall', 'info', 'enable', 'disable', 'run', 'logs', 'config get', 'config set']);

function options(cmd: Command): string[] {
  return cmd.options.flatMap((o) => [o.short, o.long].filter((f): f is string => typeof f === 'string'));
}

export async function completion(ctx: CommandContext, shell: string | undefined): Promise<number> {
  const which = shell ?? (ctx.env.SHELL?.endsWith('zsh') ? 'zsh' : 'bash');
  if (which !== 'bash' && which !== 'zsh') throw usage(`no completion for "${which}"`, 'use bash or zsh');
  // The program this command was parsed by: the whole command tree, without importing main.ts.
  let program = ctx.command;
  while (program?.parent) program = program.parent;
  if (program === undefined) throw new Error('completion needs the command it runs under');
  process.stdout.write(script(program, which));
  return EXIT.OK;
}

export function script(program: Command, shell: 'bash' | 'zsh'): string {
  const globals = [...options(program), '--help'];
  const commands = program.commands.map((c) => c.name());
  const cases: string[] = [];
  const subcases: string[] = [];
  for (const c of program.commands) {
    const subs = c.commands.map((s) => s.name());
    const opts = [...options(c), '--help'].join(' ');
    cases.push(
      `    ${c.name()}) subs="${subs.join(' ')}"; opts="${opts}"; plugin=${TAKES_PLUGIN.has(c.name()) ? 1 : 0} ;;`,
    );
    for (const s of c.commands) {
      const key = `${c.name()} ${s.name()}`;
      subcases.push(
        `    "${key}") opts="${[...options(s), '--help'].join(' ')}"; plugin=${TAKES_PLUGIN.has(key) ? 1 : 0} ;;`,
      );
    }
  }
  const body = `# bulkhead completion for ${shell}. Install: bulkhead completion ${shell} > ~/.bulkhead-completion.${shell} && echo 'source ~/.bulkhead-completion.${shell}' >> ~/.${shell}rc
_bulkhead_plugins() {
  local dir="\${BULKHEAD_HOME:-$HOME/.bulkhead}/plugins"
  [ -d "$dir" ] && ls -1 "$dir" 2>/dev/null | grep -v '^\\.'
}
_bulkhead() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local cmd="" sub="" i
  # The command and subcommand, skipping global options (and --home's value).
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      --home) ((i++)) ;;
      -*) ;;
      *) if [ -z "$cmd" ]; then cmd="\${COMP_WORDS[i]}"; elif [ -z "$sub" ]; then sub="\${COMP_WORDS[i]}"; fi ;;
    esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W "${commands.join(' ')} ${globals.join(' ')}" -- "$cur"))
    return
  fi
  local subs="" opts="" plugin=0
  case "$cmd" in
${cases.join('\n')}
  esac
  if [ -n "$subs" ] && [ -n "$sub" ]; then
    case "$cmd $sub" in
${subcases.join('\n')}
    esac
    subs=""
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts ${globals.join(' ')}" -- "$cur"))
  elif [ -n "$subs" ]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  elif [ "$plugin" = 1 ]; then
    COMPREPLY=($(compgen -W "$(_bulkhead_plugins)" -- "$cur"))
  fi
}
`;
  return shell === 'zsh'
    ? `${body}autoload -U +X bashcompinit && bashcompinit\ncomplete -F _bulkhead bulkhead\n`
    : `${body}complete -F _bulkhead bulkhead\n`;
}
