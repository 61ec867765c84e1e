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

/**
 * Silences the domain modules' logger: they log JSON lines for CloudWatch, which on a terminal
 * would bury a command's output (and break `--output json`). POWERTOOLS_LOG_LEVEL, when set,
 * still wins. Loaded on use so `--help` stays fast.
 */
export const silenceLogs = async (env: NodeJS.ProcessEnv = process.env): Promise<void> => {
  const { logger } = await import('../functions/lib/logger.js');
  if (!env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('SILENT');
};
