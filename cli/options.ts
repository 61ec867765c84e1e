/**
 * The options several commands share, specified once: their parseArgs specs and their checks,
 * each with one error message that names the flag and what it accepts. A command spreads the
 * specs it takes into its own table (`{ ...TARGET_OPTIONS, ...OUTPUT_OPTION, force: ... }`), so
 * adding an option to a command is one line there.
 */
import type { FleetFilter } from '../functions/secret-fleet/types.js';
import { UsageError } from './errors.js';

/** `--endpoint-url URL` and one `--region R`: where a single-Region command goes (see target.ts). */
export const TARGET_OPTIONS = {
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
} as const;

/** `--endpoint-url URL` and `--region R ...` (repeatable): commands that read several Regions. */
export const REGIONS_OPTIONS = {
  'endpoint-url': { type: 'string' },
  region: { type: 'string', multiple: true },
} as const;

/**
 * What `status` and `doctor` both take: the target and its Regions, `--thresholds LIST` and
 * `--stuck-after SECONDS` (read by report/options.ts `reportBasics`).
 */
export const REPORT_OPTIONS = {
  ...REGIONS_OPTIONS,
  thresholds: { type: 'string' },
  'stuck-after': { type: 'string' },
} as const;

/** `--output FORMAT`, checked by {@link outputOption}. */
export const OUTPUT_OPTION = { output: { type: 'string' } } as const;

/** `--wait`, `--state-machine-arn ARN`, `--stack-name NAME`: starting a deployed workflow. */
export const DEPLOYED_OPTIONS = {
  wait: { type: 'boolean' },
  'state-machine-arn': { type: 'string' },
  'stack-name': { type: 'string' },
} as const;

/** The stack `--stack-name` defaults to: the name the README deploys with. */
export const DEFAULT_STACK_NAME = 'rekey';

/** "a", "a or b", "a, b or c". */
export const orList = (words: readonly string[]): string =>
  words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;

/**
 * A flag that takes one of a few words: `value` when it is one of `choices`, `fallback` when
 * the flag was not given, else a usage error naming the flag, the accepted words and the value.
 */
export const choiceOption = <C extends string>(
  value: string | undefined,
  flag: string,
  choices: readonly C[],
  fallback: C,
): C => {
  if (value === undefined) return fallback;
  if ((choices as readonly string[]).includes(value)) return value as C;
  throw new UsageError(`${flag} must be ${orList(choices)}; got '${value}'.`);
};

/** `--output`: one of the command's formats, the first of them by default. */
export const outputOption = <C extends string>(value: string | undefined, formats: readonly [C, ...C[]]): C =>
  choiceOption(value, '--output', formats, formats[0]);

const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Checks a Region name (`eu-west-1`), or a usage error naming `flag`. */
export const regionName = (value: string, flag = '--region'): string => {
  if (!REGION_NAME.test(value)) {
    throw new UsageError(`${flag} must be a Region name such as eu-west-1; got '${value}'.`);
  }
  return value;
};

/** Checks `--region` values when given (each a Region name); undefined when not given. */
export const regionOption = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : regionName(value);

/**
 * `--region R ...`: the Regions given (checked, duplicates dropped), else `fallback` (the
 * target's Region, or a command's own default list).
 */
export const regionsOption = (
  values: readonly string[] | undefined,
  fallback: readonly string[],
): string[] => [...new Set(values?.length ? values.map((v) => regionName(v)) : fallback)];

/** `--filter F` (repeatable): which secrets, checked by {@link parseSecretFilter}. */
export const FILTER_OPTION = { filter: { type: 'string', multiple: true } } as const;

/**
 * Parses `--filter` values into a secret filter: `tag:KEY=VALUE` (exact key and value on one
 * tag) and/or `name-prefix:PREFIX`; two filters of different kinds both apply (AND).
 */
export const parseSecretFilter = (
  values: readonly string[] | undefined,
  options: { required?: boolean } = {},
): FleetFilter => {
  if (options.required && !values?.length) {
    throw new UsageError('--filter is required: --filter tag:KEY=VALUE or --filter name-prefix:PREFIX.');
  }
  const filter: FleetFilter = {};
  for (const raw of values ?? []) {
    if (raw.startsWith('tag:')) {
      const body = raw.slice(4);
      const eq = body.indexOf('=');
      const key = eq < 0 ? body : body.slice(0, eq);
      if (eq < 0 || key === '' || key.length > 128 || body.length - eq - 1 > 256) {
        throw new UsageError(
          `--filter tag:KEY=VALUE needs a tag key (1-128 characters), '=' and a value; got '${raw}'.`,
        );
      }
      if (filter.tag) throw new UsageError('--filter tag:KEY=VALUE may be given once.');
      filter.tag = { key, value: body.slice(eq + 1) };
    } else if (raw.startsWith('name-prefix:')) {
      const prefix = raw.slice('name-prefix:'.length);
      if (prefix === '' || prefix.length > 512) {
        throw new UsageError(`--filter name-prefix:PREFIX needs a prefix of 1-512 characters; got '${raw}'.`);
      }
      if (filter.namePrefix !== undefined)
        throw new UsageError('--filter name-prefix:PREFIX may be given once.');
      filter.namePrefix = prefix;
    } else {
      throw new UsageError(`--filter must be tag:KEY=VALUE or name-prefix:PREFIX; got '${raw}'.`);
    }
  }
  return filter;
};
