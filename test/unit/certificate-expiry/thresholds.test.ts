import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/certificate-expiry/errors.js';
import {
  crossedThreshold,
  DEFAULT_THRESHOLDS,
  daysToExpiry,
  isAlertDue,
  parseThresholds,
} from '../../../functions/certificate-expiry/thresholds.js';

const DAY = 86_400_000;
const now = new Date('2030-01-01T00:00:00Z');
const inDays = (days: number) => new Date(now.getTime() + days * DAY);

describe('parseThresholds', () => {
  it('defaults to 45, 30, 14, 7, 3, 1 days', () => {
    expect(parseThresholds(undefined, 'X')).toEqual([45, 30, 14, 7, 3, 1]);
    expect(parseThresholds('', 'X')).toEqual([...DEFAULT_THRESHOLDS]);
  });

  it('accepts a comma list or an array, sorted most distant first without duplicates', () => {
    expect(parseThresholds(' 7, 60,7 ,1', 'X')).toEqual([60, 7, 1]);
    expect(parseThresholds([3, 10], 'X')).toEqual([10, 3]);
  });

  it.each([['0'], ['abc'], ['1.5'], ['400'], [[-1]], ['7,,3'], [{}]])(
    'rejects %j naming the setting',
    (value) => {
      expect(() => parseThresholds(value, 'ALERT_THRESHOLDS_DAYS')).toThrowError(InvalidInputError);
      expect(() => parseThresholds(value, 'ALERT_THRESHOLDS_DAYS')).toThrowError(/ALERT_THRESHOLDS_DAYS/);
    },
  );
});

describe('daysToExpiry', () => {
  it('rounds down to whole days and goes negative after expiry', () => {
    expect(daysToExpiry(inDays(1.5), now)).toBe(1);
    expect(daysToExpiry(inDays(0.1), now)).toBe(0);
    expect(daysToExpiry(inDays(-2.5), now)).toBe(-3);
  });
});

describe('crossedThreshold', () => {
  const thresholds = [...DEFAULT_THRESHOLDS];

  it.each([
    [60, null],
    [46, null],
    [45.5, 45],
    [45, 45],
    [31, 45],
    [30, 30],
    [15, 30],
    [14, 14],
    [8, 14],
    [7, 7],
    [4, 7],
    [3, 3],
    [2, 3],
    [1, 1],
    [0.5, 1],
  ])('a certificate with %d days left has crossed %s', (days, expected) => {
    expect(crossedThreshold(inDays(days), now, thresholds)).toBe(expected);
  });

  it('reports 0 once NotAfter has passed', () => {
    expect(crossedThreshold(inDays(-0.01), now, thresholds)).toBe(0);
    expect(crossedThreshold(now, now, thresholds)).toBe(0);
  });

  it('follows configured thresholds', () => {
    expect(crossedThreshold(inDays(20), now, [21, 5])).toBe(21);
    expect(crossedThreshold(inDays(20), now, [10, 5])).toBeNull();
  });
});

describe('isAlertDue', () => {
  const notAfter = '2030-01-20T00:00:00.000Z';

  it('is due when never alerted', () => {
    expect(isAlertDue(undefined, { threshold: 30, notAfter })).toBe(true);
  });

  it('is not due again at the same threshold, nor at a less severe one', () => {
    expect(isAlertDue({ threshold: 30, notAfter }, { threshold: 30, notAfter })).toBe(false);
    expect(isAlertDue({ threshold: 14, notAfter }, { threshold: 30, notAfter })).toBe(false);
  });

  it('is due when the next threshold is crossed, including expiry', () => {
    expect(isAlertDue({ threshold: 30, notAfter }, { threshold: 14, notAfter })).toBe(true);
    expect(isAlertDue({ threshold: 1, notAfter }, { threshold: 0, notAfter })).toBe(true);
  });

  it('starts over when NotAfter changed (renewed or re-imported)', () => {
    expect(
      isAlertDue({ threshold: 7, notAfter }, { threshold: 45, notAfter: '2030-04-20T00:00:00.000Z' }),
    ).toBe(true);
  });

  it('ranks an alert made before any threshold above every threshold', () => {
    expect(isAlertDue({ threshold: null, notAfter }, { threshold: 45, notAfter })).toBe(true);
    expect(isAlertDue({ threshold: null, notAfter }, { threshold: null, notAfter })).toBe(false);
    expect(isAlertDue({ threshold: 45, notAfter }, { threshold: null, notAfter })).toBe(false);
  });
});
