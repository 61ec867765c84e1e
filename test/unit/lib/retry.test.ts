import { ThrottlingException } from '@aws-sdk/client-acm';
import { describe, expect, it } from 'vitest';
import { isRetryable, isThrottling, mapBounded, withBackoff } from '../../../functions/lib/retry.js';

const throttled = () => new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });

describe('withBackoff', () => {
  it('retries throttling with exponentially growing, jittered delays and returns the result', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withBackoff(
      async () => {
        calls++;
        if (calls <= 4) throw throttled();
        return 'described';
      },
      { baseMs: 100, maxMs: 10_000, sleep: async (ms) => void delays.push(ms), random: () => 0.999 },
    );
    expect(result).toBe('described');
    expect(calls).toBe(5);
    // Full jitter below the ceilings 100, 200, 400, 800.
    expect(delays).toEqual([99, 199, 399, 799]);
  });

  it('draws each delay at random below the ceiling, capped by maxMs', async () => {
    const delays: number[] = [];
    const randoms = [0.5, 0.25, 0.1, 0.9];
    await expect(
      withBackoff(
        async () => {
          throw throttled();
        },
        {
          attempts: 5,
          baseMs: 1000,
          maxMs: 2500,
          sleep: async (ms) => void delays.push(ms),
          random: () => randoms.shift() ?? 0,
        },
      ),
    ).rejects.toThrowError(ThrottlingException);
    expect(delays).toEqual([500, 500, 250, 2250]);
  });

  it('does not retry errors that retrying cannot fix', async () => {
    let calls = 0;
    const denied = Object.assign(new Error('not allowed'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      withBackoff(
        async () => {
          calls++;
          throw denied;
        },
        { sleep: async () => {} },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('treats throttling and 5xx as retryable', () => {
    expect(isRetryable(throttled())).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isRetryable(new Error('plain'))).toBe(false);
    expect(isRetryable('string')).toBe(false);
  });
});

describe('mapBounded', () => {
  it('keeps at most `concurrency` calls in flight and the results in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });

  it('rejects with the first error', async () => {
    await expect(
      mapBounded([1, 2, 3], 3, async (n) => {
        if (n === 2) throw new Error('two');
        return n;
      }),
    ).rejects.toThrowError('two');
  });
});

/** An SDK-shaped service error: a name, the HTTP status and optional traits. */
const serviceError = (name: string, httpStatusCode?: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), {
    name,
    $metadata: httpStatusCode === undefined ? {} : { httpStatusCode },
    ...extra,
  });

// The two hand lists this classification replaces disagreed; the SDK's own classification (its
// standard retry mode) decides, and these pin each case where they differed.
describe('isThrottling / isRetryable (the SDK classification)', () => {
  it('counts every throttling code the SDK knows, including those only one old list had', () => {
    for (const name of [
      'ThrottlingException',
      'Throttling', // only the fleet's list had it
      'RequestThrottledException', // only the fleet's list had it
      'TooManyRequestsException',
      'RequestLimitExceeded',
      'ThrottledException',
      'LimitExceededException', // neither list had it; the SDK retries it as throttling
    ]) {
      expect(isThrottling(serviceError(name, 400)), name).toBe(true);
      expect(isRetryable(serviceError(name, 400)), name).toBe(true);
    }
  });

  it('counts HTTP 429 and a modelled throttling trait as throttling, whatever the name', () => {
    expect(isThrottling(serviceError('SomethingNew', 429))).toBe(true);
    expect(isThrottling(serviceError('SomethingNew', 400, { $retryable: { throttling: true } }))).toBe(true);
  });

  it('retries transient server answers (500, 502, 503, 504) but not other 5xx, as standard mode does', () => {
    for (const status of [500, 502, 503, 504]) {
      expect(isRetryable(serviceError('InternalFailure', status)), String(status)).toBe(true);
      expect(isThrottling(serviceError('InternalFailure', status)), String(status)).toBe(false);
    }
    // The certificate sweep's old list retried every status from 500 up.
    expect(isRetryable(serviceError('NotImplemented', 501))).toBe(false);
  });

  it('retries dropped connections and a modelled retryable trait', () => {
    expect(
      isRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} })),
    ).toBe(true);
    expect(isRetryable(serviceError('SomethingNew', 400, { $retryable: {} }))).toBe(true);
  });

  it('does not retry client errors or values that are not errors', () => {
    expect(isRetryable(serviceError('AccessDeniedException', 400))).toBe(false);
    expect(isRetryable(serviceError('ResourceNotFoundException', 400))).toBe(false);
    expect(isThrottling(serviceError('ValidationException', 400))).toBe(false);
    expect(isThrottling(undefined)).toBe(false);
    expect(isRetryable(null)).toBe(false);
  });
});
