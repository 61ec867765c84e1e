import { boolean, check, maxLength, minLength, number, optional, pipe, strictObject, string } from 'valibot';
import { objectMessage, parseInput } from '../lib/schema.js';
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

/** `<field>: must be an integer from <min> to <max>`, defaulting to `fallback` when absent. */
const integerField = (min: number, max: number, fallback: number) => {
  const fix = `must be an integer from ${min} to ${max}`;
  return optional(
    pipe(
      number(fix),
      check((value) => Number.isInteger(value) && value >= min && value <= max, fix),
    ),
    fallback,
  );
};

const FILTER_FIX = 'is required: {"tag": {"key": "K", "value": "V"}} or {"namePrefix": "P"} (or both)';
const TAG_KEY_FIX = 'must be a tag key of 1 to 128 characters';
const TAG_VALUE_FIX = 'must be a tag value of at most 256 characters';
const NAME_PREFIX_FIX = 'must be a name prefix of 1 to 512 characters';

const filterSchema = pipe(
  strictObject(
    {
      tag: optional(
        strictObject(
          {
            key: pipe(string(TAG_KEY_FIX), minLength(1, TAG_KEY_FIX), maxLength(128, TAG_KEY_FIX)),
            value: pipe(string(TAG_VALUE_FIX), maxLength(256, TAG_VALUE_FIX)),
          },
          objectMessage({ key: TAG_KEY_FIX, value: TAG_VALUE_FIX }),
        ),
      ),
      namePrefix: optional(
        pipe(string(NAME_PREFIX_FIX), minLength(1, NAME_PREFIX_FIX), maxLength(512, NAME_PREFIX_FIX)),
      ),
    },
    // A filter that is not an object gets the same fix as a missing one.
    (issue) => (issue.expected === 'Object' ? FILTER_FIX : objectMessage()(issue)),
  ),
  // Rotating every secret of an account by accident is worse than asking for a filter.
  check(
    (filter) => filter.tag !== undefined || filter.namePrefix !== undefined,
    'must name a tag or a namePrefix: the fleet never covers all secrets implicitly',
  ),
);

// Unknown fields are refused so a typo is not silently ignored; the message lists the accepted ones.
const fleetInputEntries = {
  filter: filterSchema,
  dryRun: optional(boolean('must be true or false'), false),
  maxRotations: integerField(1, LIMITS.maxRotations, DEFAULTS.maxRotations),
  writeQuotaPerSecond: integerField(1, 10_000, DEFAULTS.writeQuotaPerSecond),
  writeQuotaPercent: integerField(1, 100, DEFAULTS.writeQuotaPercent),
  maxConcurrency: integerField(1, LIMITS.maxConcurrency, DEFAULTS.maxConcurrency),
  pollSeconds: integerField(1, 300, DEFAULTS.pollSeconds),
  // 0 suits only an endpoint that finishes rotations before RotateSecret answers.
  stallTimeoutSeconds: integerField(0, 3600, DEFAULTS.stallTimeoutSeconds),
  maxWaitSeconds: integerField(1, 86_400, DEFAULTS.maxWaitSeconds),
  stuckAfterSeconds: integerField(0, 30 * 86_400, DEFAULTS.stuckAfterSeconds),
  overdueAfterSeconds: integerField(0, 365 * 86_400, DEFAULTS.overdueAfterSeconds),
  batchSeconds: integerField(1, LIMITS.batchSeconds, DEFAULTS.batchSeconds),
};
const fleetInputSchema = strictObject(
  fleetInputEntries,
  objectMessage({ filter: FILTER_FIX }, Object.keys(fleetInputEntries)),
);

/**
 * Checks the execution input (what a schedule or `rekey rotate-fleet` passes) and fills the
 * defaults; unknown fields are refused so a typo is not silently ignored.
 */
export const parseFleetInput = (input: unknown): FleetOptions => {
  const { filter: raw, ...options } = parseInput(fleetInputSchema, input, 'The execution input');
  const filter: FleetFilter = {};
  if (raw.tag !== undefined) filter.tag = { key: raw.tag.key, value: raw.tag.value };
  if (raw.namePrefix !== undefined) filter.namePrefix = raw.namePrefix;
  return { filter, ...options };
};
