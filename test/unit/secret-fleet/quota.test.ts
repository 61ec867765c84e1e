import { describe, expect, it } from 'vitest';
import { parseFleetInput } from '../../../functions/secret-fleet/options.js';
import {
  fleetWriteRate,
  quotaBoundSeconds,
  SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND,
  TokenBucket,
  WRITES_PER_ROTATION,
} from '../../../functions/secret-fleet/quota.js';

/** Drives a bucket on a fake clock: how many rotations (2 writes each) it lets start in `seconds`. */
const startsWithin = (bucket: TokenBucket, clock: { ms: number }, seconds: number, stepMs = 1) => {
  const starts: number[] = [];
  for (; clock.ms <= seconds * 1000; clock.ms += stepMs) {
    while (bucket.tryTake(WRITES_PER_ROTATION)) starts.push(clock.ms);
  }
  return starts;
};

describe('write-quota pacing', () => {
  it('takes 90% of the 50/s quota by default: 45 writes/s, 1,000 rotations in about 44 s (bound 40 s, goal ≤ 50 s)', () => {
    const options = parseFleetInput({ filter: { namePrefix: 'app' } });
    const rate = fleetWriteRate(options.writeQuotaPerSecond, options.writeQuotaPercent);
    expect(rate).toBe(45);
    expect(rate).toBeGreaterThanOrEqual(0.8 * SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND);
    const clock = { ms: 0 };
    const bucket = new TokenBucket(rate, { now: () => clock.ms });
    const starts = startsWithin(bucket, clock, 60);
    const thousandth = (starts[999] ?? Number.POSITIVE_INFINITY) / 1000;
    expect(thousandth).toBeLessThanOrEqual(1.25 * quotaBoundSeconds(2000));
    expect(thousandth).toBeGreaterThan(quotaBoundSeconds(2000));
  });

  it('never lets more writes start in any one-second window than the quota', () => {
    const clock = { ms: 0 };
    const bucket = new TokenBucket(fleetWriteRate(50, 100), { now: () => clock.ms });
    const starts = startsWithin(bucket, clock, 20);
    let busiest = 0;
    for (let i = 0, j = 0; i < starts.length; i++) {
      while ((starts[j] as number) <= (starts[i] as number) - 1000) j++;
      busiest = Math.max(busiest, (i - j + 1) * WRITES_PER_ROTATION);
    }
    // The rate plus the small burst capacity (a twentieth of a second, at least 3 writes).
    expect(busiest).toBeLessThanOrEqual(50 + 3);
  });

  it('gives back the tokens of writes that did not happen', () => {
    const clock = { ms: 0 };
    const bucket = new TokenBucket(10, { capacity: 3, now: () => clock.ms });
    expect(bucket.tryTake(3)).toBe(true);
    expect(bucket.tryTake(1)).toBe(false);
    expect(bucket.msUntil(1)).toBeCloseTo(100);
    bucket.refund(1);
    expect(bucket.tryTake(1)).toBe(true);
  });
});

describe('parseFleetInput', () => {
  it('fills the defaults: 300 rotations per run, 90% of a 50/s write quota', () => {
    const options = parseFleetInput({ filter: { tag: { key: 'team', value: 'payments' } } });
    expect(options).toMatchObject({
      filter: { tag: { key: 'team', value: 'payments' } },
      dryRun: false,
      maxRotations: 300,
      writeQuotaPerSecond: 50,
      writeQuotaPercent: 90,
      maxConcurrency: 50,
      pollSeconds: 5,
      stallTimeoutSeconds: 300,
      batchSeconds: 240,
    });
  });

  it.each([
    [{}, /filter: is required/],
    [{ filter: {} }, /filter: must name a tag or a namePrefix/],
    [
      { filter: { namePrefix: 'a' }, maxConcurency: 3 },
      /maxConcurency: unknown field; the accepted fields are .*maxConcurrency/,
    ],
    [{ filter: { tag: { key: 'k' } } }, /filter.tag.value/],
    [{ filter: { namePrefix: 'a' }, pollSeconds: 0 }, /pollSeconds: must be an integer from 1 to 300/],
    [{ filter: { namePrefix: 'a' }, dryRun: 'yes' }, /dryRun: must be true or false/],
    [{ filter: { namePrefix: 'a' }, maxRotations: 0 }, /maxRotations: must be an integer from 1/],
    [
      { filter: { namePrefix: 'a' }, writeQuotaPercent: 120 },
      /writeQuotaPercent: must be an integer from 1 to 100/,
    ],
    [{ filter: { namePrefix: 'a' }, batchSeconds: 900 }, /batchSeconds: must be an integer from 1 to 270/],
    [{ filter: { namePrefix: 'a' }, maxSecrets: 10 }, /maxSecrets: unknown field/],
  ])('refuses %j, naming the field', (input, message) => {
    expect(() => parseFleetInput(input)).toThrow(message);
  });
});
