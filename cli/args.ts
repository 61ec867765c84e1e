import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.js';

/**
 * Parses a command's `argv` with `node:util` parseArgs (strict: unknown options are usage
 * errors), so every command reports bad options the same way.
 */
export const parseOptions = <T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
) => {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
};
