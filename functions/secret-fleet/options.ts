import { InvalidInputError } from '../lib/errors.js';
import { DEFAULT_WRITE_QUOTA_PERCENT, SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND } from './quota.js';
import type { FleetFilter, FleetOptions } from './types.js';

/** Defaults of the execution input; each is explained on `FleetOptions`. */
export const DEFAULTS = {
  pollSeconds: 5,
  stallTimeoutSeconds: 300,
  maxWaitSeconds: 1800,
  // Four steps of at most 15 minutes each (the Lambda maximum) fit in an hour: a secret whose
  // AWSPENDING has sat unchanged for longer is not being rotated by anyone.
  stuckAfterSeconds: 3600,
  // Secrets Manager rotates within the rotation window, which ends at NextRotationDate (as
  // DescribeSecret reports it): a day after that, scheduled rotations are not happening.
  overdueAfterSeconds: 86_400,
  // A cap per run keeps one run's work (and its failures) reviewable; repeated runs go on
  // through any fleet, oldest due first.
  maxRotations: 300,
  writeQuotaPerSecond: SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND,
  writeQuotaPercent: DEFAULT_WRITE_QUOTA_PERCENT,
  // Enough for rotations that take seconds (databases) to keep the write rate at the quota.
  maxConcurrency: 50,
  // The fleet function's timeout is 300 s: a batch stops starting rotations with time to spare.
  batchSeconds: 240,
} as const;

/** Upper bounds of the numeric options (the in-flight list and the failures stay far below 256 KB). */
export const LIMITS = {
  maxRotations: 1_000_000,
  maxConcurrency: 100,
  batchSeconds: 270,
} as const;

const KEYS = new Set([
  'filter',
  'dryRun',
  'maxConcurrency',
  'pollSeconds',
  'stallTimeoutSeconds',
  'maxWaitSeconds',
  'stuckAfterSeconds',
  'overdueAfterSeconds',
  'maxRotations',
  'writeQuotaPerSecond',
  'writeQuotaPercent',
  'batchSeconds',
]);

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const rejectUnknown = (value: Raw, allowed: Set<string>, where: string) => {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      throw new InvalidInputError(
        `${where} has an unknown field '${key}'; allowed: ${[...allowed].join(', ')}.`,
      );
    }
  }
};

const integer = (input: Raw, field: string, min: number, max: number, fallback?: number) => {
  const value = input[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(
      `Field '${field}' must be an integer from ${min} to ${max}; got ${JSON.stringify(value)}.`,
    );
  }
  return value;
};

const parseFilter = (value: unknown): FleetFilter => {
  if (!isObject(value)) {
    throw new InvalidInputError(
      'Field \'filter\' is required: {"tag": {"key": "K", "value": "V"}} or {"namePrefix": "P"} (or both).',
    );
  }
  rejectUnknown(value, new Set(['tag', 'namePrefix']), "Field 'filter'");
  const filter: FleetFilter = {};
  if (value.tag !== undefined) {
    if (!isObject(value.tag))
      throw new InvalidInputError('Field \'filter.tag\' must be {"key": "K", "value": "V"}.');
    rejectUnknown(value.tag, new Set(['key', 'value']), "Field 'filter.tag'");
    const { key, value: tagValue } = value.tag;
    if (typeof key !== 'string' || key.length < 1 || key.length > 128) {
      throw new InvalidInputError("Field 'filter.tag.key' must be a tag key of 1 to 128 characters.");
    }
    if (typeof tagValue !== 'string' || tagValue.length > 256) {
      throw new InvalidInputError("Field 'filter.tag.value' must be a tag value of at most 256 characters.");
    }
    filter.tag = { key, value: tagValue };
  }
  if (value.namePrefix !== undefined) {
    if (
      typeof value.namePrefix !== 'string' ||
      value.namePrefix.length < 1 ||
      value.namePrefix.length > 512
    ) {
      throw new InvalidInputError("Field 'filter.namePrefix' must be a name prefix of 1 to 512 characters.");
    }
    filter.namePrefix = value.namePrefix;
  }
  if (!filter.tag && filter.namePrefix === undefined) {
    // Rotating every secret of an account by accident is worse than asking for a filter.
    throw new InvalidInputError(
      "Field 'filter' must name a tag or a namePrefix: the fleet never covers all secrets implicitly.",
    );
  }
  return filter;
};

/**
 * Checks the execution input (what a schedule or `rekey rotate-fleet` passes) and fills the
 * defaults; unknown fields are refused so a typo is not silently ignored.
 */
export const parseFleetInput = (input: unknown): FleetOptions => {
  if (!isObject(input))
    throw new InvalidInputError("The execution input must be a JSON object with a 'filter'.");
  rejectUnknown(input, KEYS, 'The execution input');
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean') {
    throw new InvalidInputError("Field 'dryRun' must be true or false.");
  }
  const int = (field: keyof typeof DEFAULTS & string, min: number, max: number): number =>
    integer(input, field, min, max, DEFAULTS[field] as number) ?? (DEFAULTS[field] as number);
  const options: FleetOptions = {
    filter: parseFilter(input.filter),
    dryRun: input.dryRun === true,
    maxRotations: int('maxRotations', 1, LIMITS.maxRotations),
    writeQuotaPerSecond: int('writeQuotaPerSecond', 1, 10_000),
    writeQuotaPercent: int('writeQuotaPercent', 1, 100),
    maxConcurrency: int('maxConcurrency', 1, LIMITS.maxConcurrency),
    pollSeconds: int('pollSeconds', 1, 300),
    // 0 suits only an endpoint that finishes rotations before RotateSecret answers.
    stallTimeoutSeconds: int('stallTimeoutSeconds', 0, 3600),
    maxWaitSeconds: int('maxWaitSeconds', 1, 86_400),
    stuckAfterSeconds: int('stuckAfterSeconds', 0, 30 * 86_400),
    overdueAfterSeconds: int('overdueAfterSeconds', 0, 365 * 86_400),
    batchSeconds: int('batchSeconds', 1, LIMITS.batchSeconds),
  };
  return options;
};
