import type { FleetFilter } from '../../functions/secret-fleet/types.js';
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

/** A whole number option within bounds, or the default; a usage error names the option. */
export const integerOption = (
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}; got '${value}'.`);
  }
  return n;
};

/** `--alias-prefix`: must start with `alias/`. */
export const parseAliasPrefix = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (!value.startsWith('alias/') || value.length > 256) {
    throw new UsageError(`--alias-prefix must start with alias/ (e.g. alias/payments-); got '${value}'.`);
  }
  return value;
};
