/**
 * The function's configuration, read once from its environment (template.yaml sets it).
 *
 * - `EVENT_BUS_NAME` (required): the project's bus, where findings are published.
 * - `SWEEP_REGIONS`: comma-separated Regions to sweep; us-east-1 is always added (CloudFront's
 *   certificates live there). Defaults to the function's own Region.
 * - `ALERT_THRESHOLDS_DAYS`: comma-separated days before expiry, default `45,30,14,7,3,1`.
 * - `DESCRIBE_CONCURRENCY`: DescribeCertificate calls in flight per Region, 1-10, default 4.
 */
import { resolveRegion } from '../lib/aws.js';
import { integer, optionalString, requiredString } from '../lib/config.js';
import { InvalidInputError } from './errors.js';
import { parseThresholds } from './thresholds.js';

export interface Settings {
  readonly busName: string;
  readonly regions: readonly string[];
  readonly thresholds: readonly number[];
  readonly concurrency: number;
  readonly homeRegion: string;
}

/** us-east-1 is swept in every run: CloudFront only uses certificates from there. */
export const ALWAYS_SWEPT_REGION = 'us-east-1';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * Checks one Region name.
 * @throws InvalidInputError naming `field`.
 */
export const parseRegion = (value: unknown, field: string): string => {
  if (typeof value !== 'string' || !REGION.test(value)) {
    throw new InvalidInputError(
      `${field} must be an AWS Region name such as "eu-west-1"; got ${JSON.stringify(value)}.`,
    );
  }
  return value;
};

/**
 * Parses a Region list (comma-separated string or array), adds us-east-1 first, drops duplicates.
 * @throws InvalidInputError naming `field` when an entry is not a Region name.
 */
export const parseRegions = (value: unknown, field: string, fallback: readonly string[]): string[] => {
  const parts: unknown[] =
    value === undefined || value === null || value === ''
      ? [...fallback]
      : typeof value === 'string'
        ? value.split(',').map((p) => p.trim())
        : Array.isArray(value)
          ? value
          : [value];
  const regions = parts.map((part) => {
    if (typeof part !== 'string' || !REGION.test(part)) {
      throw new InvalidInputError(
        `${field} must list AWS Region names such as "us-east-1,eu-west-1"; ${JSON.stringify(part)} is not one.`,
      );
    }
    return part;
  });
  return [...new Set([ALWAYS_SWEPT_REGION, ...regions])];
};

/** Reads the settings from `env`, naming what is missing or malformed. */
export const readSettings = (env: NodeJS.ProcessEnv = process.env): Settings => {
  const homeRegion = resolveRegion(env);
  return {
    busName: requiredString('EVENT_BUS_NAME', 'the EventBridge bus that receives certificate findings', env),
    regions: parseRegions(optionalString('SWEEP_REGIONS', env), 'Environment variable SWEEP_REGIONS', [
      homeRegion,
    ]),
    thresholds: parseThresholds(
      optionalString('ALERT_THRESHOLDS_DAYS', env),
      'Environment variable ALERT_THRESHOLDS_DAYS',
    ),
    concurrency: integer('DESCRIBE_CONCURRENCY', 4, { min: 1, max: 10 }, env),
    homeRegion,
  };
};
