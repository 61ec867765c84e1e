import { ThrottlingException } from '@aws-sdk/client-acm';
import { describe, expect, it } from 'vitest';
import { isRetryable, mapBounded, withBackoff } from '../../../functions/certificate-expiry/backoff.js';

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
