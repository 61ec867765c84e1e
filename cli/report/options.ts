import { parseThresholds } from '../../functions/certificate-expiry/thresholds.js';
import { InvalidInputError } from '../../functions/lib/errors.js';
import { DEFAULTS } from '../../functions/secret-fleet/options.js';
import type { FleetFilter } from '../../functions/secret-fleet/types.js';
import { integerOption } from '../args.js';
import { UsageError } from '../errors.js';

/**
 * Parses `--filter` values into a secret filter: `tag:KEY=VALUE` (exact key and value on one
 * tag) and/or `name-prefix:PREFIX`; two filters of different kinds both apply (AND).
 */
export const parseSecretFilter = (values: readonly string[] | undefined): FleetFilter => {
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

/**
 * `--thresholds`, else ALERT_THRESHOLDS_DAYS, else the default list; a bad list is a usage
 * error naming `--thresholds`.
 */
export const thresholdsOption = (value: string | undefined, env: NodeJS.ProcessEnv): number[] => {
  try {
    return parseThresholds(value ?? (env.ALERT_THRESHOLDS_DAYS || undefined), '--thresholds');
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
};

/**
 * `--stuck-after SECONDS`: AWSPENDING unchanged for less than this is a rotation still running.
 * Undefined when not given: the report then derives it per secret from its rotation function's
 * timeout (see `stuckAfterForTimeout`), so a rotation is never called stuck while its function
 * may still be running, nor left "running" for an hour after it cannot be.
 */
export const stuckAfterOption = (value: string | undefined): number | undefined =>
  value === undefined
    ? undefined
    : integerOption(value, '--stuck-after', {
        min: 0,
        max: 30 * 86_400,
        fallback: DEFAULTS.stuckAfterSeconds,
      });

/** `--alias-prefix`: must start with `alias/`. */
export const parseAliasPrefix = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (!value.startsWith('alias/') || value.length > 256) {
    throw new UsageError(`--alias-prefix must start with alias/ (e.g. alias/payments-); got '${value}'.`);
  }
  return value;
};
