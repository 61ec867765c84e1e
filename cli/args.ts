import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Damerau-Levenshtein distance (adjacent swaps count as one edit), for did-you-mean.
 */
const distance = (a: string, b: string): number => {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
};

/**
 * The candidate closest to `word` when it is close enough to be a typo (a third of its length,
 * at least 2 edits), or one that `word` is a prefix of; undefined otherwise.
 */
export const closest = (word: string, candidates: readonly string[]): string | undefined => {
  let best: { name: string; d: number } | undefined;
  for (const name of candidates) {
    const d = name.startsWith(word) && word.length >= 3 ? 1 : distance(word, name);
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.name : undefined;
};

/** Options `main` takes before any command, also offered as did-you-mean candidates. */
export const GLOBAL_OPTIONS = ['profile', 'quiet', 'verbose', 'log-file', 'version', 'help'] as const;

/** parseArgs' error text (an unbalanced quote, no hint) rewritten to name the option and the fix. */
const usageErrorOf = (error: unknown, argv: string[], options: Options): UsageError => {
  const code = (error as { code?: string }).code;
  const names = Object.keys(options);
  const stop = argv.indexOf('--');
  for (const token of stop < 0 ? argv : argv.slice(0, stop)) {
    if (!token.startsWith('-') || token === '-') continue;
    const name = token.startsWith('--') ? (token.slice(2).split('=')[0] ?? '') : token.slice(1);
    const known = token.startsWith('--')
      ? Object.hasOwn(options, name)
      : Object.values(options).some((o) => o.short === name);
    if (known) continue;
    const guess = closest(name, [...names, ...GLOBAL_OPTIONS]);
    return new UsageError(
      `Unknown option '${token.split('=')[0]}'.${guess ? ` Did you mean --${guess}?` : ''}`,
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /Option '(?:-\w, )?(--[\w-]+)/.exec(message)?.[1] ?? 'an option';
    return new UsageError(
      /does not take an argument/.test(message)
        ? `${option} is a switch and takes no value: write ${option} alone.`
        : `${option} needs a value, e.g. ${option} VALUE.`,
      { cause: error },
    );
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const extra = /Unexpected argument '([^']*)'/.exec(message)?.[1];
    return new UsageError(
      `Unexpected argument${extra ? ` '${extra}'` : ''}: this command takes options only.`,
      { cause: error },
    );
  }
  return new UsageError(message, { cause: error });
};

const parse = <T extends Options, P extends boolean>(argv: string[], options: T, allowPositionals: P) => {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (error) {
    throw usageErrorOf(error, argv, options);
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

/**
 * Checks a URL option (`--endpoint-url`, or `flag`): an http(s) URL, or a usage error naming
 * the option (or variable) and an example.
 */
export const parseEndpoint = (
  text: string,
  flag = '--endpoint-url',
  example = 'http://127.0.0.1:4566',
): string => {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text;
  } catch {
    // falls through to the usage error
  }
  throw new UsageError(`${flag} must be an http(s) URL such as ${example}; got '${text}'.`);
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
