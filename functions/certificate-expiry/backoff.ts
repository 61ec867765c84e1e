/**
 * Retries with exponential backoff and full jitter, and a bounded-concurrency map. ACM's
 * DescribeCertificate quota is 10 requests per second per account and Region (shared with every
 * other caller), so a sweep keeps few calls in flight and backs off when ACM says so.
 */

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

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalServerException',
]);

/** Whether an SDK error is worth retrying: throttling, or a server-side (5xx) fault. */
export const isRetryable = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if (RETRYABLE_NAMES.has(error.name)) return true;
  const meta = error as { $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (meta.$retryable) return true;
  const status = meta.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
};

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn`, retrying retryable errors with "full jitter" delays: a random wait in
 * [0, min(maxMs, baseMs * 2^n)), the scheme AWS recommends so that many clients throttled together
 * do not retry in lockstep. Rethrows the last error unchanged (its `name` is what callers match).
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
 * results. Rejects with the first error after the calls in flight have settled.
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
