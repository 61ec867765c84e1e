import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

const parse = <T extends Options, P extends boolean>(argv: string[], options: T, allowPositionals: P) => {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
};

/**
 * Parses a command's `argv` with `node:util` parseArgs (strict: unknown options are usage
 * errors), so every command reports bad options the same way.
 */
export const parseOptions = <T extends Options>(argv: string[], options: T) => parse(argv, options, false);

/** {@link parseOptions} for commands that also take positional arguments (an alias, a secret). */
export const parseOptionsAndPositionals = <T extends Options>(argv: string[], options: T) =>
  parse(argv, options, true);

/** Checks `--endpoint-url`: an http(s) URL, or a usage error naming the option. */
export const parseEndpoint = (text: string): string => {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text;
  } catch {
    // falls through to the usage error
  }
  throw new UsageError(`--endpoint-url must be an http(s) URL such as http://127.0.0.1:4566; got '${text}'.`);
};

/** Bounds of a whole-number option; `unit` (e.g. 'seconds') only words the error. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
  readonly unit?: string;
}

/**
 * A whole-number option (digits only), or undefined when it was not given. Without a range any
 * safe integer passes; a usage error names the option, the range and what was given.
 */
export const optionalInteger = (
  value: string | undefined,
  name: string,
  range?: IntegerRange,
): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || (range && (n < range.min || n > range.max))) {
    const what = range
      ? `a whole number${range.unit ? ` of ${range.unit}` : ''} from ${range.min} to ${range.max}`
      : 'a whole number';
    throw new UsageError(`${name} must be ${what}; got '${value}'.`);
  }
  return n;
};

/** A whole-number option within bounds, or `fallback` when it was not given. */
export const integerOption = (
  value: string | undefined,
  name: string,
  range: IntegerRange & { readonly fallback: number },
): number => optionalInteger(value, name, range) ?? range.fallback;
