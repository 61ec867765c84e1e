/**
 * Which AWS errors are worth retrying, and the retry and concurrency helpers built on that.
 *
 * The classification is the SDK's own (`@smithy/core/retry`, the service-error classification
 * its standard retry strategy uses), not a hand-kept list of names: throttling is the SDK's
 * throttling (HTTP 429, its list of throttling codes such as ThrottlingException,
 * TooManyRequestsException, RequestLimitExceeded, LimitExceededException, or a modelled
 * `@retryable(throttling)` trait), and a retryable error is what the SDK's standard mode retries:
 * throttling or a transient error (HTTP 500/502/503/504, a modelled `@retryable` trait, request
 * timeouts, connection resets and timeouts). Other 5xx answers (501 Not Implemented, 505, ...)
 * are not retried, as the AWS SDKs and Tools reference guide documents for standard mode.
 */
import { isThrottlingError, isTransientError } from '@smithy/core/retry';

/** The shape the SDK's classifiers read: a name, maybe `$metadata`, `$retryable`, `code`, `cause`. */
type Classifiable = Parameters<typeof isThrottlingError>[0];

const classifiable = (error: unknown): error is Classifiable => error instanceof Error;

/** Whether an error is throttling, as the SDK's retry strategy decides. */
export const isThrottling = (error: unknown): boolean => classifiable(error) && isThrottlingError(error);

/** Whether an error is worth retrying (throttling or transient), as the SDK's standard mode decides. */
export const isRetryable = (error: unknown): boolean =>
  classifiable(error) && (isThrottlingError(error) || isTransientError(error));

export interface BackoffOptions {
  /** Attempts in all, including the first. */
  attempts?: number;
  /** Ceiling of the first delay, in ms; doubles each retry. */
  baseMs?: number;
  /** Largest delay, in ms. */
  maxMs?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected for tests; returns [0, 1). */
  random?: () => number;
  /** Called before each retry (for logs and metrics). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn`, retrying {@link isRetryable} errors with "full jitter" delays: a random wait in
 * [0, min(maxMs, baseMs * 2^n)), the scheme AWS recommends so that many clients throttled together
 * do not retry in lockstep. Rethrows the last error unchanged (its `name` is what callers match).
 *
 * For callers with a longer horizon than one SDK call: each attempt here is one call with the
 * client's own retries (functions/lib/aws.ts), so this waits out what those did not.
 */
export const withBackoff = async <T>(fn: () => Promise<T>, options: BackoffOptions = {}): Promise<T> => {
  const attempts = options.attempts ?? 8;
  const baseMs = options.baseMs ?? 100;
  const maxMs = options.maxMs ?? 5_000;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      const delayMs = Math.floor(random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1)));
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs);
    }
  }
};

/**
 * Maps `items` through `fn` with at most `concurrency` calls in flight, keeping the order of the
 * results (how sweeps and reports stay under a per-account request quota). Rejects with the
 * first error after the calls in flight have settled.
 */
export const mapBounded = async <T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
};
