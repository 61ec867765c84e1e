import { describe, expect, it } from 'vitest';
import { parseFleetInput } from '../../../functions/secret-fleet/options.js';
import {
  effectiveConcurrency,
  INLINE_MAP_MAX_CONCURRENCY,
  maxSafeConcurrency,
  SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND,
  worstCaseWritesPerSecond,
} from '../../../functions/secret-fleet/quota.js';

describe('quota arithmetic', () => {
  it('with the default 5 s pacing, allows 31 rotations at once: at most 24.8 writes/s, half the quota', () => {
    expect(maxSafeConcurrency(5)).toBe(31);
    expect(worstCaseWritesPerSecond(31, 5)).toBeCloseTo(24.8);
  });

  it.each([1, 2, 3, 5, 7, 10, 30, 300])(
    'keeps even a two-item burst within the quota at pollSeconds %i',
    (poll) => {
      const n = maxSafeConcurrency(poll);
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(INLINE_MAP_MAX_CONCURRENCY);
      // Sustained: at most half the quota. Burst (two items of a slot in one window): at most the quota.
      expect(worstCaseWritesPerSecond(n, poll)).toBeLessThanOrEqual(
        SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND / 2,
      );
      expect(2 * worstCaseWritesPerSecond(n, poll)).toBeLessThanOrEqual(
        SECRETS_MANAGER_WRITE_QUOTA_PER_SECOND,
      );
    },
  );

  it('never exceeds the 40 iterations an Inline Map runs at once, however slow the pacing', () => {
    expect(maxSafeConcurrency(300)).toBe(40);
  });

  it('lowers a requested concurrency to the bound, and keeps a smaller one', () => {
    expect(effectiveConcurrency(40, 5)).toBe(31);
    expect(effectiveConcurrency(10, 5)).toBe(10);
    expect(effectiveConcurrency(undefined, 1)).toBe(6);
  });
});

describe('parseFleetInput', () => {
  it('fills the defaults and applies the quota bound to maxConcurrency', () => {
    const options = parseFleetInput({
      filter: { tag: { key: 'team', value: 'payments' } },
      maxConcurrency: 40,
    });
    expect(options).toMatchObject({
      filter: { tag: { key: 'team', value: 'payments' } },
      dryRun: false,
      maxConcurrency: 31,
      requestedMaxConcurrency: 40,
      pollSeconds: 5,
      stallTimeoutSeconds: 300,
      maxSecrets: 300,
    });
  });

  it.each([
    [{}, /'filter' is required/],
    [{ filter: {} }, /must name a tag or a namePrefix/],
    [{ filter: { namePrefix: 'a' }, maxConcurency: 3 }, /unknown field 'maxConcurency'/],
    [{ filter: { tag: { key: 'k' } } }, /filter.tag.value/],
    [{ filter: { namePrefix: 'a' }, pollSeconds: 0 }, /'pollSeconds' must be an integer from 1 to 300/],
    [{ filter: { namePrefix: 'a' }, dryRun: 'yes' }, /'dryRun' must be true or false/],
  ])('refuses %j, naming the field', (input, message) => {
    expect(() => parseFleetInput(input)).toThrow(message);
  });
});
