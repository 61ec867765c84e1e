import { describe, expect, it } from 'vitest';
import { matchesAliasPattern, parseScheduleInput } from '../../../functions/key-rotation/schedule.js';

describe('managed alias pattern (IAM StringLike semantics)', () => {
  it('lets * cross / and ? stand for exactly one character', () => {
    expect(matchesAliasPattern('alias/rekey/payments/signing', 'alias/rekey/*')).toBe(true);
    expect(matchesAliasPattern('alias/rekey', 'alias/rekey/*')).toBe(false);
    expect(matchesAliasPattern('alias/rekey-retiring/x', 'alias/rekey/*')).toBe(false);
    expect(matchesAliasPattern('alias/app-1', 'alias/app-?')).toBe(true);
    expect(matchesAliasPattern('alias/app-12', 'alias/app-?')).toBe(false);
  });

  it('takes every other character literally', () => {
    expect(matchesAliasPattern('alias/aXb', 'alias/a.b')).toBe(false);
    expect(matchesAliasPattern('alias/a.b', 'alias/a.b')).toBe(true);
  });
});

describe('key schedule input', () => {
  it('fills the workflow defaults and names a bad field', () => {
    expect(parseScheduleInput({ task: 'scheduleDueKeys', aliasPattern: 'alias/rekey/*' })).toEqual({
      task: 'scheduleDueKeys',
      aliasPattern: 'alias/rekey/*',
      periodDays: 365,
      gracePeriodSeconds: 604800,
      retentionSeconds: 604800,
      pendingWindowInDays: 30,
    });
    expect(() =>
      parseScheduleInput({ task: 'scheduleDueKeys', aliasPattern: 'alias/x/*', pendingWindowInDays: 3 }),
    ).toThrow(/pendingWindowInDays.*7 to 30/);
  });
});
