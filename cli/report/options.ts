import { parseThresholds } from '../../functions/certificate-expiry/thresholds.js';
import { InvalidInputError } from '../../functions/lib/errors.js';
import { DEFAULTS } from '../../functions/secret-fleet/options.js';
import { integerOption } from '../args.js';
import { UsageError } from '../errors.js';
import { regionsOption } from '../options.js';
import { resolveTarget } from '../target.js';
import { createReportClients } from './clients.js';

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

/**
 * What `status` and `doctor` both read from their options: the target (endpoint, credentials)
 * and its clients, the Regions (`--region ...`, else the target's), the certificate thresholds
 * and `--stuck-after`.
 */
export const reportBasics = (
  values: { 'endpoint-url'?: string; region?: string[]; thresholds?: string; 'stuck-after'?: string },
  env: NodeJS.ProcessEnv,
) => {
  const target = resolveTarget({ endpointUrl: values['endpoint-url'] }, env);
  return {
    clients: createReportClients(target),
    regions: regionsOption(values.region, [target.region]),
    thresholds: thresholdsOption(values.thresholds, env),
    stuckAfterSeconds: stuckAfterOption(values['stuck-after']),
  };
};
