/**
 * `bulkhead install [file]`: each plugin of a plugins.yaml into its own environment.
 * @module
 */
import { existsSync } from 'node:fs';
import { CLI_EXIT as EXIT, isBulkheadError } from '@bulkhead/sdk/errors';
import { type InstallEvent, type InstallReport, installPlugins } from '../../install/installer.js';
import { readPluginsFile } from '../../install/plugins-file.js';
import { describeHolder, type LockTakeover } from '../../process/lock-file.js';
import { CliError } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { docPath } from '../doc-path.js';
import { formatMs } from '../output.js';
import { interrupted } from '../session.js';

const STEP_TEXT = {
  node: 'installing its pinned Node',
  npm: 'npm install',
  addons: 'loading its native addons',
  venv: 'making its Python environment',
  pip: 'installing with pip',
  probe: 'starting it once',
  write: 'writing its manifest',
} as const;
/** Lines of pip's and uv's output worth a line of their own off a terminal (progress, not noise). */
const PIP_PROGRESS =
  /^(Collecting|Downloading|Building|Installing|Successfully|Resolved|Prepared|Installed|Using Python|Creating)\b/;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export async function install(
  ctx: CommandContext,
  fileArg: string,
  options: { force?: boolean | string[] },
): Promise<number> {
  let file = fileArg;
  let force = options.force;
  // `install --force plugins.yaml` means the file, not a plugin called "plugins.yaml".
  if (Array.isArray(force)) {
    const asFile = force.find((f) => /\.ya?ml$/.test(f) && existsSync(f));
    if (asFile !== undefined) {
      file = asFile;
      force = force.length === 1 ? true : force.filter((f) => f !== asFile);
    }
  }
  const { out } = ctx;
  if (!existsSync(file)) {
    throw new CliError('ERR_USAGE', `${file}: no such file`, {
      hint: 'give the path of a plugins.yaml: `bulkhead install path/to/plugins.yaml`',
    });
  }
  const plugins = await readPluginsFile(file).catch((e) => {
    // A file that is not valid YAML or breaks the schema is bad input, like a bad argument.
    if (isBulkheadError(e, 'ERR_PLUGINS_FILE_INVALID')) {
      throw new CliError(e.code, `${file} is not a valid plugins file:\n${e.message}`, {
        hint: `see ${docPath('cli.md')}, "plugins.yaml"`,
      });
    }
    throw e;
  });
  if (out.tty) out.note(`Installing ${plugins.plugins.length} plugin(s) from ${file} into ${ctx.home}`);
  const progress = new InstallProgress(ctx);
  const stop = interrupted(() => out.note('stopping the installs… (Ctrl-C again to quit now)'));
  let report: InstallReport;
  try {
    report = await installPlugins(plugins, {
      home: ctx.home,
      env: ctx.env,
      ...(force !== undefined ? { force } : {}),
      signal: stop.signal,
      onWait: (holder) =>
        out.note(`waiting for another bulkhead install (${describeHolder(holder)}) to finish… (Ctrl-C to stop)`),
      onTakeover: (t) => out.note(takeoverMessage(t)),
      onEvent: (e) => progress.on(e),
    });
  } catch (e) {
    // Ctrl-C while waiting for another install's lock: nothing was started.
    if (stop.signal.aborted) return EXIT.INTERRUPTED;
    throw e;
  } finally {
    progress.stop();
    stop.dispose();
  }
  if (stop.signal.aborted) {
    out.note('install interrupted: plugins installed so far are kept, the one in progress is not');
    return EXIT.INTERRUPTED;
  }
  if (Array.isArray(force)) {
    const known = new Set(report.plugins.flatMap((p) => [p.source, ...(p.status === 'failed' ? [] : [p.name])]));
    for (const f of force) if (!known.has(f)) out.warn(`--force ${f}: no plugin of ${file} has that name or source`);
  }
  const failed = report.plugins.filter((p) => p.status === 'failed');
  if (out.json) out.document(toJson(report));
  else {
    const installed = report.plugins.filter((p) => p.status === 'installed').length;
    const unchanged = report.plugins.filter((p) => p.status === 'unchanged').length;
    out.line(`${installed} installed, ${unchanged} unchanged, ${failed.length} failed`);
  }
  return failed.length > 0 ? EXIT.FAILURE : EXIT.OK;
}

function takeoverMessage(t: LockTakeover): string {
  return t.reason === 'gone' && t.holder !== null
    ? `took over the install lock ${t.file}: its holder (pid ${t.holder.pid}) is gone`
    : `took over the install lock ${t.file}: it names no holder (an empty or broken file, left by a crash or a full disk)`;
}

function toJson(report: InstallReport) {
  return {
    file: report.file,
    plugins: report.plugins.map((p) =>
      p.status === 'failed'
        ? {
            source: p.source,
            status: p.status,
            ms: p.ms,
            error: { code: p.error.code, message: p.error.message, data: p.error.data },
          }
        : p,
    ),
  };
}

/** A task list on a terminal (one line per plugin, a spinner on the active ones); plain lines elsewhere. */
class InstallProgress {
  readonly #ctx: CommandContext;
  readonly #active = new Map<number, { source: string; step: string; since: number }>();
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: CommandContext) {
    this.#ctx = ctx;
    if (ctx.out.tty && !ctx.out.json) this.#timer = setInterval(() => this.#draw(), 100).unref();
  }

  on(e: InstallEvent): void {
    const { out } = this.#ctx;
    if (e.type === 'start') this.#active.set(e.index, { source: e.source, step: 'checking', since: Date.now() });
    else if (e.type === 'step') {
      this.#active.set(e.index, { source: e.source, step: STEP_TEXT[e.step], since: Date.now() });
      // Without a terminal to redraw on, each step is a line of its own with --verbose.
      if (!out.tty && out.verbose) out.note(`  ${e.source}: ${STEP_TEXT[e.step]}…`);
    } else if (e.type === 'output') {
      // pip's own progress: the latest line on a terminal's status line, the main steps as lines elsewhere.
      if (out.tty) this.#active.set(e.index, { source: e.source, step: e.line.slice(0, 60), since: Date.now() });
      else if (PIP_PROGRESS.test(e.line)) out.note(`  ${e.source}: ${e.line}`);
    } else {
      this.#active.delete(e.index);
      const o = e.outcome;
      if (o.status === 'failed') {
        const [first, ...rest] = o.error.message.split('\n');
        out.note(`${out.style('red', '✗')} ${e.source}: ${first}`);
        for (const line of rest) out.note(`    ${line}`);
      } else {
        const what = o.status === 'unchanged' ? out.style('dim', 'unchanged') : `installed in ${formatMs(o.ms)}`;
        out.note(`${out.style('green', '✓')} ${o.name} ${o.version} ${what}`);
      }
    }
    this.#draw();
  }

  #draw(): void {
    const { out } = this.#ctx;
    if (!out.tty || this.#active.size === 0) {
      out.clearStatus();
      return;
    }
    this.#frame = (this.#frame + 1) % SPINNER.length;
    // How long the step has taken so far: a slow download is seen to be moving, not stuck.
    const parts = [...this.#active.values()].map((a) => {
      const s = Math.floor((Date.now() - a.since) / 1000);
      return `${a.source}: ${a.step}…${s > 0 ? out.style('dim', ` ${s}s`) : ''}`;
    });
    out.status(`${SPINNER[this.#frame]} ${parts.join('  ·  ')}`);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#ctx.out.clearStatus();
  }
}
