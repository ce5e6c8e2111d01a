/**
 * The codes of installing, of the home's files, and of the command line (`bulkhead`).
 * @module
 */
import { CLI_EXIT, type CodeTable, final, retried } from './behaviour.js';

const { USAGE, NOT_FOUND } = CLI_EXIT;

export const CLI_CODES = {
  // ─── installing, and the home's files ───
  /** Installing a plugin into its environment failed (npm, the pinned Node, or its first start). */
  ERR_INSTALL_FAILED: retried,
  /** The disk is full: what could not be written, and where. Nothing half-written is left. */
  ERR_DISK_FULL: { ...retried, hint: 'free some space on it, or set BULKHEAD_HOME to a directory on another disk' },
  /** A lock (the plugin state's) is held by another live process for longer than the wait allows. */
  ERR_LOCKED: { ...retried, hint: 'another process (pid {pid}) holds it: wait for it, or end it' },
  /** A plugins.yaml cannot be read or breaks its schema (the file `bulkhead install` takes). */
  ERR_PLUGINS_FILE_INVALID: { retryable: false, exit: USAGE, hint: 'see docs/cli.md, "plugins.yaml"' },
  /** The home's config.yaml (or a variable or flag over it) holds a bad setting. */
  ERR_HOST_CONFIG_INVALID: {
    retryable: false,
    exit: USAGE,
    hint: 'fix it (docs/cli.md, "Host settings", lists every setting and its variable)',
  },
  // ─── the command line (bulkhead) ───
  /** The command line was wrong: an unknown command or option, a missing argument, an unreadable file. */
  ERR_USAGE: { retryable: false, exit: USAGE },
  /** `config get NAME KEY` named a key the plugin's config does not have. */
  ERR_CONFIG_KEY_NOT_FOUND: {
    retryable: false,
    exit: NOT_FOUND,
    hint: 'see its config with `bulkhead config get {name}`',
  },
  /** `config get --host KEY` named no setting. */
  ERR_HOST_SETTING_NOT_FOUND: {
    retryable: false,
    exit: NOT_FOUND,
    hint: 'see every setting with `bulkhead config get --host`',
  },
  /** `uninstall` refused: the plugin is running in the host, or was not installed by `bulkhead install`. */
  ERR_UNINSTALL_REFUSED: final,
  /** The CLI could not write a file it was asked to (`--output`), or read or write the home (permissions). */
  ERR_FILE_ACCESS: {
    ...final,
    hint: 'check that the path exists and that you may write there (the home: `bulkhead doctor`)',
  },
  /** `bulkhead new` could not make the plugin's files (packing the SDK into it failed). */
  ERR_SCAFFOLD_FAILED: { ...final, hint: 'check that npm works here (`bulkhead doctor`)' },
} as const satisfies CodeTable;
