/**
 * `bulkhead`: install plugins into their environments, run them, and watch their jobs.
 * Each command's module is imported only when that command runs, so `bulkhead run` does not pay
 * for the installer, nor `bulkhead list` for the job queue.
 * @module
 */
import { createRequire } from 'node:module';
import { CLI_EXIT as EXIT } from '@bulkhead/sdk/errors';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { PrelaunchedWorker } from '../process/worker-spawn.js';
import { toCliError } from './cli-error.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { docPath } from './doc-path.js';
import { Output } from './output.js';

export type { CommandContext, GlobalOptions } from './context.js';

type Action = (ctx: CommandContext, ...args: never[]) => Promise<number | undefined>;

export function buildProgram(
  run: (load: () => Promise<Action>, args: unknown[], cmd: Command) => Promise<void>,
): Command {
  const program = new Command('bulkhead')
    .description('Run plugins in isolated worker processes, scheduled by the resources they need.')
    .option('--json', 'print one JSON document (or one object per line for streams)')
    .option('--verbose', 'print stack traces and more detail')
    .option('--home <dir>', 'the Bulkhead home (default: $BULKHEAD_HOME or ~/.bulkhead)')
    .version(hostVersion(), '-V, --version', 'print the version of Bulkhead')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `\nExit codes: 0 ok, 1 failure, 2 bad usage, 3 job failed, 4 job cancelled, 5 not found, 130 Ctrl-C.\nDocs: ${docPath('cli.md')}`,
    );
  const act =
    (load: () => Promise<Action>) =>
    async (...args: unknown[]) => {
      const cmd = args.at(-1) as Command;
      // An option the parent command also has (`jobs --status`, `jobs prune --status`) is parsed by
      // the parent wherever it is written: the command sees its own and its parents' options.
      const positional = args.slice(0, -2);
      await run(load, [...positional, { ...cmd.optsWithGlobals(), ...cmd.opts() }], cmd);
    };
  const example = (cmd: Command, text: string) => cmd.addHelpText('after', `\nExample:\n  ${text}`);

  example(
    program
      .command('new')
      .description('create a plugin package: npm install, npm test, bulkhead install and run work as generated')
      .argument('<name>', 'the plugin name, e.g. image-resize')
      .option('--ts', 'in TypeScript (run as written, no build step)')
      .option('--dir <dir>', 'where to create it (default: ./NAME)')
      .action(act(async () => (await import('./commands/new.js')).newPlugin as Action)),
    'bulkhead new image-resize --ts && cd image-resize && npm install && npm test',
  );
  example(
    program
      .command('install')
      .description('install every plugin of a plugins.yaml into its own environment')
      .argument('[file]', 'the plugins file', 'plugins.yaml')
      .option('-f, --force [name...]', 'reinstall these plugins (or all) even if unchanged')
      .action(act(async () => (await import('./commands/install.js')).install as Action)),
    'bulkhead install examples/plugins.yaml',
  );
  example(
    program
      .command('uninstall')
      .description('remove an installed plugin and its environment')
      .argument('<name>')
      .action(act(async () => (await import('./commands/plugins.js')).uninstall as Action)),
    'bulkhead uninstall hello',
  );
  example(
    program
      .command('list')
      .alias('ls')
      .description('list installed plugins')
      .action(act(async () => (await import('./commands/plugins.js')).list as Action)),
    'bulkhead list --json',
  );
  example(
    program
      .command('plugins')
      .description("act on the running host's plugins")
      .command('reset')
      .description("close a plugin's circuit breaker (open after repeated crashes): its waiting jobs start again")
      .argument('<name>')
      .action(act(async () => (await import('./commands/plugins.js')).reset as Action)),
    'bulkhead plugins reset hello',
  );
  example(
    program
      .command('info')
      .description("show a plugin's manifest, config schema, config and stats")
      .argument('<name>')
      .action(act(async () => (await import('./commands/plugins.js')).info as Action)),
    'bulkhead info hello',
  );
  const config = program.command('config').description("read or change a plugin's config, or the host's settings");
  example(
    config,
    'bulkhead config get countdown   ·   bulkhead config set countdown stepMs=50   ·   bulkhead config set --host scheduler.policy=queue',
  );
  example(
    config
      .command('get')
      .description("print a plugin's config (or one key of it), or with --host the host's settings")
      .argument('[name]', 'the plugin (with --host: the setting, e.g. scheduler.policy)')
      .argument('[key]', 'a dotted key, e.g. model.size')
      .option('--host', "the host's settings (<home>/config.yaml, then BULKHEAD_* variables) instead of a plugin's")
      .action(act(async () => (await import('./commands/host-config.js')).configGet as Action)),
    'bulkhead config get hello greeting   ·   bulkhead config get --host',
  );
  example(
    config
      .command('set')
      .description("change a plugin's config (checked against its schema first), or with --host a host setting")
      .argument('[name]', 'the plugin (omit with --host)')
      .argument(
        '[assignments...]',
        'key=value pairs; values are JSON when they parse, else strings; key= unsets a host setting',
      )
      .option('--host', 'set host settings in <home>/config.yaml (policy, budgets, retention, timeouts, concurrency)')
      .action(act(async () => (await import('./commands/host-config.js')).configSet as Action)),
    'bulkhead config set countdown stepMs=50   ·   bulkhead config set --host scheduler.policy=queue retention.maxAge=3d',
  );
  for (const [verb, description] of [
    ['enable', 'let a plugin run again'],
    ['disable', 'stop a plugin and refuse work for it'],
  ] as const) {
    example(
      program
        .command(verb)
        .description(description)
        .argument('<name>')
        .action(act(async () => (await import('./commands/plugins.js'))[verb] as Action)),
      `bulkhead ${verb} hello`,
    );
  }
  example(
    program
      .command('run')
      .description('run a plugin as a job and print its result')
      .argument('<name>')
      .option(
        '-i, --input <json>',
        'the input: JSON, @file to read it from a file, or - for stdin; bytes as {"$bytes": "<base64>"}',
        '{}',
      )
      .option('--file <field=path...>', "put a file's bytes at this field of the input (repeatable)", collect, [])
      .option('-o, --output <file>', 'write the result to this file (bytes raw) instead of printing it')
      .option('--result-only', 'with --json: print only the result, not the whole job')
      .option('--stream', 'call its stream and print each chunk as it comes (not a queued job)')
      .addOption(new Option('-p, --priority <n>', 'higher runs first').argParser(intArg).default(0))
      .addOption(new Option('--timeout <ms>', 'fail the job after this long').argParser(countArg))
      .addOption(
        new Option(
          '--attempts <n>',
          'try this many times before failing (default: the `attempts` host setting)',
        ).argParser(countArg),
      )
      .option('--detach', 'submit the job and print its id without waiting')
      .addOption(
        new Option(
          '--policy <policy>',
          'when its needs do not fit: queue (wait), safety (refuse), permissive (run)',
        ).choices(['queue', 'safety', 'permissive']),
      )
      .option('--queue-timeout <duration>', 'queue policy: how long it may wait for resources, e.g. 10m')
      .action(act(async () => (await import('./commands/run.js')).run as Action)),
    'bulkhead run countdown --input \'{"from": 5}\'   ·   bulkhead run thumbnail --file image=photo.png -o thumb.png',
  );
  const jobs = program
    .command('jobs')
    .description('list, inspect, wait for, cancel, retry and prune jobs (ids may be abbreviated)')
    .argument('[subcommand...]')
    .option('-s, --status <status>', 'only pending, running, completed, failed or cancelled (comma-separated)')
    .option('--plugin <name>', 'only jobs of this plugin')
    .addOption(new Option('-n, --limit <n>', 'at most this many').argParser(countArg).default(20))
    .option('-w, --watch', 'keep printing jobs as they change')
    .action(act(async () => (await import('./commands/jobs.js')).listOrUnknown as Action));
  example(jobs, 'bulkhead jobs --status running   ·   bulkhead jobs show ec5006c2   ·   bulkhead jobs retry ec50');
  const jobsList = jobs
    .command('list')
    .description('list recent jobs, newest first')
    .option('-s, --status <status>', 'only pending, running, completed, failed or cancelled (comma-separated)')
    .option('--plugin <name>', 'only jobs of this plugin')
    .addOption(new Option('-n, --limit <n>', 'at most this many').argParser(countArg).default(20))
    .option('-w, --watch', 'keep printing jobs as they change')
    .action(act(async () => (await import('./commands/jobs.js')).list as Action));
  example(jobsList, 'bulkhead jobs list --status failed');
  example(
    jobs
      .command('show')
      .description("a job's state, result or error (and the plugin's stack), timeline and why it waits")
      .argument('<id>', 'the id, or enough of its start to name one job')
      .option('-o, --output <file>', 'write the result to this file (bytes raw)')
      .action(act(async () => (await import('./commands/jobs.js')).show as Action)),
    'bulkhead jobs show ec5006c2',
  );
  example(
    jobs
      .command('cancel')
      .description('cancel a pending or running job')
      .argument('<id>', 'the id, or enough of its start to name one job')
      .action(act(async () => (await import('./commands/jobs.js')).cancel as Action)),
    'bulkhead jobs cancel ec5006c2',
  );
  example(
    jobs
      .command('wait')
      .description('wait for a job to end; the exit code says how it ended')
      .argument('<id>', 'the id, or enough of its start to name one job')
      .option('-o, --output <file>', 'write the result to this file (bytes raw)')
      .option('--result-only', 'with --json: print only the result')
      .action(act(async () => (await import('./commands/jobs.js')).wait as Action)),
    'bulkhead jobs wait ec5006c2',
  );
  example(
    jobs
      .command('retry')
      .description('run a finished job again, as a new job with the same plugin, input and options')
      .argument('<id>', 'the id, or enough of its start to name one job')
      .option('--detach', 'submit the new job and print its id without waiting')
      .option('-o, --output <file>', 'write the result to this file (bytes raw)')
      .option('--result-only', 'with --json: print only the result')
      .action(act(async () => (await import('./commands/jobs-manage.js')).retry as Action)),
    'bulkhead jobs retry ec5006c2',
  );
  example(
    jobs
      .command('recover')
      .description('export what a damaged job database still holds, job by job, as JSON lines (read-only)')
      .option('-o, --output <file>', 'where to write them (default <home>/jobs.recovered-<time>.jsonl)')
      .action(act(async () => (await import('./commands/jobs-recover.js')).recover as Action)),
    'bulkhead jobs recover -o saved-jobs.jsonl',
  );
  example(
    jobs
      .command('prune')
      .description('delete finished jobs now: by status, age, or all but the newest N')
      .option('-s, --status <status>', 'only completed, failed or cancelled (comma-separated; default all three)')
      .option('--older-than <duration>', 'only jobs that finished longer ago than this, e.g. 7d, 12h')
      .addOption(new Option('--keep <n>', 'keep the newest n of them').argParser(countArg))
      .action(act(async () => (await import('./commands/jobs-manage.js')).prune as Action)),
    'bulkhead jobs prune --status failed,cancelled --older-than 7d',
  );
  example(
    program
      .command('logs')
      .description("print a plugin's log, or a job's")
      .argument('[name]', 'the plugin')
      .option('--job <id>', "a job's log instead of a plugin's")
      .option('-f, --follow', 'keep printing new entries')
      .addOption(new Option('-n, --tail <n>', 'the last n entries').argParser(countArg).default(50))
      .action(act(async () => (await import('./commands/logs.js')).logs as Action)),
    'bulkhead logs countdown -f',
  );
  example(
    program
      .command('serve')
      .description('run the queue and plugins until stopped, with the HTTP API and dashboard (docs/server.md)')
      .addOption(new Option('--port <n>', 'the HTTP port (0: any free one)').argParser(countArg).default(7345))
      .option('--host <address>', 'the address to listen on; beyond loopback needs TLS or --insecure', '127.0.0.1')
      .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (with --tls-key)')
      .option('--tls-key <file>', 'the PEM private key of --tls-cert')
      .option('--insecure', 'allow plain HTTP beyond loopback (the token crosses the network in the clear)')
      .action(act(async () => (await import('./commands/serve.js')).serveCommand as Action)),
    'bulkhead serve --port 7345',
  );
  example(
    program
      .command('doctor')
      .description('check Node, npm, the home, SQLite, GPUs and Redis, and say what to fix')
      .action(act(async () => (await import('./commands/doctor.js')).doctor as Action)),
    'bulkhead doctor',
  );
  example(
    program
      .command('completion')
      .description('print a shell completion script for bash or zsh')
      .argument('[shell]', 'bash or zsh (default: from $SHELL)')
      .action(act(async () => (await import('./commands/completion.js')).completion as Action)),
    "bulkhead completion bash > ~/.bulkhead-completion.bash && echo 'source ~/.bulkhead-completion.bash' >> ~/.bashrc",
  );
  example(program, 'bulkhead install examples/plugins.yaml && bulkhead run countdown --input \'{"from": 5}\'');
  return program;
}

function hostVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function countArg(value: string): number {
  const n = intArg(value);
  if (n < 0) throw new InvalidArgumentError(`"${value}" is negative`);
  return n;
}

/** `prelaunched`: the worker bin/bulkhead.js spawned for a plain `run` (cli/prelaunch-run.ts). */
export interface CliOptions {
  prelaunched?: PrelaunchedWorker;
}

export async function main(argv: string[] = process.argv, options: CliOptions = {}): Promise<number> {
  let exitCode: number = EXIT.OK;
  let out = new Output({ json: argv.includes('--json'), verbose: argv.includes('--verbose') });
  const program = buildProgram(async (load, args, cmd) => {
    const globals = cmd.optsWithGlobals() as GlobalOptions;
    out = new Output({ json: globals.json ?? false, verbose: globals.verbose ?? false });
    const { bulkheadHome } = await import('../util/home.js');
    const { resolve } = await import('node:path');
    const home = globals.home ? resolve(globals.home) : bulkheadHome();
    const action = await load();
    const ctx: CommandContext = {
      out,
      home,
      globals,
      env: process.env,
      settings: {},
      command: cmd,
      ...(options.prelaunched ? { prelaunched: options.prelaunched } : {}),
    };
    exitCode = (await action(ctx, ...(args as never[]))) ?? EXIT.OK;
  });
  const json = argv.includes('--json');
  const output = {
    // --json: the usage error as the one JSON line an error always is in that mode.
    writeErr: (s: string) => {
      if (!json) process.stderr.write(s);
    },
    outputError: (s: string) => {
      const message = s.replace(/^error: /, '').trim();
      process.stderr.write(json ? `${JSON.stringify({ error: { code: 'ERR_USAGE', message } })}\n` : s);
    },
  };
  // Subcommands copied their settings when they were made, so each is configured here.
  const configure = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.configureOutput(output);
    for (const sub of cmd.commands) configure(sub);
  };
  configure(program);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Asked for help or the version: fine. Help shown because no command was given: bad usage.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.OK;
      return EXIT.USAGE;
    }
    const err = toCliError(e);
    if (out.json)
      process.stderr.write(
        `${JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint, data: err.data } })}\n`,
      );
    else out.error(err.message, err.hint);
    if (out.verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return err.exitCode;
  }
}

/** Runs the command line of this process and exits with its code. */
export async function runCli(options: CliOptions = {}): Promise<void> {
  // A reader that stopped reading (`bulkhead jobs | head -1`) is not an error of ours.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw e;
    });
  }
  const code = await main(process.argv, options);
  process.exitCode = code;
  // Everything written must reach a pipe before exit (a big --json document is written in pieces).
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  // A handle still open (a socket being closed) must not hold the CLI open once its work is done.
  process.exit(code);
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) resolve();
    else stream.write('', () => resolve());
  });
}
