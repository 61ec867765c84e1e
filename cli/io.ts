import { Console } from 'node:console';
import { createWriteStream, type WriteStream } from 'node:fs';

/** Where a command writes: standard output and standard error, replaceable in tests. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The process's own standard output and error. */
export const defaultIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** How chatty the command line is, set once by `main` from the global options. */
export interface OutputSettings {
  /** `--quiet`: no progress or notes on standard error; results and errors only. */
  readonly quiet: boolean;
  /** `--verbose`: the in-process functions' JSON logs go to standard error (or the log file). */
  readonly verbose: boolean;
  /** `--log-file FILE`: the in-process functions' JSON logs are appended to FILE. */
  readonly logFile?: string;
}

let settings: OutputSettings = { quiet: false, verbose: false };
let logStream: WriteStream | undefined;

/** The settings `main` chose (defaults when a command runs outside `main`, as in tests). */
export const outputSettings = (): OutputSettings => settings;

/** Sets the global output settings; `main` calls it before running a command. */
export const configureOutput = (next: OutputSettings): void => {
  settings = next;
};

/**
 * Progress and notes for people, on standard error: nothing with `--quiet`. Results go to
 * standard output, errors to standard error whatever the settings.
 */
export const note = (io: Io, text: string): void => {
  if (!settings.quiet) io.stderr(text);
};

/**
 * Routes the domain modules' logger. They log JSON lines for CloudWatch, which must never reach
 * standard output: a command's stdout is its result (`--output json | jq`). The logs go to the
 * `--log-file` (level from POWERTOOLS_LOG_LEVEL, else INFO), else to standard error with
 * `--verbose` (same level), else nowhere unless POWERTOOLS_LOG_LEVEL asks for them (then to
 * standard error). With `keepLevel` (`rekey local`, whose served functions' logs are part of its
 * purpose) only the destination changes. Loaded on use so `--help` stays fast.
 */
export const silenceLogs = async (
  env: NodeJS.ProcessEnv = process.env,
  options: { keepLevel?: boolean } = {},
): Promise<void> => {
  const { logger } = await import('../functions/lib/logger.js');
  const { Logger } = await import('@aws-lambda-powertools/logger');
  if (settings.logFile && !logStream) logStream = createWriteStream(settings.logFile, { flags: 'a' });
  const sink = logStream ?? process.stderr;
  const sinkConsole = new Console({ stdout: sink, stderr: sink });
  // Powertools builds each logger's Console over process.stdout in setConsole(), for the parent
  // and for every createChild() (the handlers make one per invocation). Replacing setConsole
  // points them all at the sink; `trace` prints like `log`, as Powertools itself arranges.
  sinkConsole.trace = (...args: unknown[]) => sinkConsole.log(...args);
  const proto = Logger.prototype as unknown as { setConsole(this: { console: Console }): void };
  proto.setConsole = function setConsole(this: { console: Console }) {
    this.console = sinkConsole;
  };
  proto.setConsole.call(logger as unknown as { console: Console });
  // `rekey local` keeps its functions' logs (at their configured level) unless --quiet.
  if (options.keepLevel) {
    if (settings.quiet) logger.setLogLevel('SILENT');
    return;
  }
  const wanted = settings.logFile || settings.verbose || env.POWERTOOLS_LOG_LEVEL;
  logger.setLogLevel(wanted ? ((env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO') : 'SILENT');
};
