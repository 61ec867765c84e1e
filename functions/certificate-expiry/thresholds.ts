/**
 * Alert thresholds: the days-before-expiry at which a certificate is announced, and the rule
 * that keeps a certificate from being announced twice for the same threshold.
 */
import { InvalidInputError } from './errors.js';

/** Default thresholds in days before NotAfter, most distant first. */
export const DEFAULT_THRESHOLDS: readonly number[] = [45, 30, 14, 7, 3, 1];

/** The threshold reported for a certificate whose NotAfter has passed. */
export const EXPIRED_THRESHOLD = 0;

const DAY_MS = 86_400_000;

/** ACM accepts ExpiryEvents DaysBeforeExpiry up to 45; a sweep may look further ahead, but not past a year. */
const MAX_THRESHOLD_DAYS = 365;

/**
 * Parses thresholds from a comma-separated string (env, CLI) or a number array (state-machine
 * input) into unique whole days, most distant first.
 *
 * @param value - `"45,30,14"`, `[45, 30, 14]`, or undefined for the defaults.
 * @param field - Name of the setting, used in the error so the caller knows what to fix.
 * @throws InvalidInputError when a value is not a whole number of days from 1 to 365.
 */
export const parseThresholds = (value: unknown, field: string): number[] => {
  if (value === undefined || value === null || value === '') return [...DEFAULT_THRESHOLDS];
  const parts: unknown[] =
    typeof value === 'string'
      ? value.split(',').map((part) => part.trim())
      : Array.isArray(value)
        ? value
        : [];
  if (parts.length === 0) {
    throw new InvalidInputError(
      `${field} must be a list of whole days before expiry, e.g. "45,30,14,7,3,1"; got ${JSON.stringify(value)}.`,
    );
  }
  const days = parts.map((part) => {
    const n =
      typeof part === 'number' ? part : typeof part === 'string' && part !== '' ? Number(part) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > MAX_THRESHOLD_DAYS) {
      throw new InvalidInputError(
        `${field} must hold whole days from 1 to ${MAX_THRESHOLD_DAYS} (e.g. "45,30,14,7,3,1"); ${JSON.stringify(part)} is not one.`,
      );
    }
    return n;
  });
  return [...new Set(days)].sort((a, b) => b - a);
};

/**
 * Whole days from `now` until `notAfter`, rounded down: a certificate expiring in 36 hours has
 * 1 day left, one expiring in 3 hours has 0, and an expired one a negative count.
 */
export const daysToExpiry = (notAfter: Date, now: Date): number =>
  Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);

/**
 * The most severe threshold the certificate has crossed: `0` once NotAfter has passed, otherwise
 * the smallest threshold `t` with `daysToExpiry <= t`, or `null` when it is not yet within any.
 */
export const crossedThreshold = (notAfter: Date, now: Date, thresholds: readonly number[]): number | null => {
  if (notAfter.getTime() <= now.getTime()) return EXPIRED_THRESHOLD;
  const days = daysToExpiry(notAfter, now);
  let crossed: number | null = null;
  for (const t of thresholds) if (days <= t && (crossed === null || t < crossed)) crossed = t;
  return crossed;
};

/** What the certificate's tags say was last announced. */
export interface AlertedState {
  /** Threshold of the last alert; `null` for an alert raised before any threshold (by an ACM event). */
  readonly threshold: number | null;
  /** NotAfter (ISO 8601) the certificate had when it was last announced. */
  readonly notAfter: string;
}

/**
 * Whether a certificate is due for an alert. It is when it was never announced, when its NotAfter
 * changed since (it was renewed or re-imported, so the thresholds start over), or when it has
 * crossed a threshold more severe than the one last announced. `null` thresholds rank above
 * every number: they mean "announced before reaching any threshold".
 */
export const isAlertDue = (
  previous: AlertedState | undefined,
  current: { threshold: number | null; notAfter: string | null },
): boolean => {
  if (previous === undefined) return true;
  if (current.notAfter !== null && previous.notAfter !== current.notAfter) return true;
  if (current.threshold === null) return false;
  return previous.threshold === null || current.threshold < previous.threshold;
};
