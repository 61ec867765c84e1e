import { describe, expect, it } from 'vitest';
import { assessSecret, foreignPending } from '../../../functions/secret-fleet/assess.js';
import type { Classification, SecretSnapshot } from '../../../functions/secret-fleet/types.js';

const NOW = new Date('2026-11-22T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();
const OPTIONS = { stuckAfterSeconds: 3600, overdueAfterSeconds: 86_400 };

/** A secret as ListSecrets reports it; an override of `undefined` removes the field. */
type Overrides = { [K in keyof SecretSnapshot]?: SecretSnapshot[K] | undefined };
const secret = (overrides: Overrides = {}): SecretSnapshot => {
  const merged: Record<string, unknown> = {
    arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf',
    name: 'app',
    rotationEnabled: true,
    rotationLambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:rekey-secret-rotation',
    rotationRules: { AutomaticallyAfterDays: 30 },
    lastRotatedDate: at(-10 * DAY),
    nextRotationDate: at(20 * DAY),
    lastChangedDate: at(-10 * DAY),
    versionStages: { v1: ['AWSCURRENT'] },
    ...overrides,
  };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return merged as unknown as SecretSnapshot;
};

describe('assessSecret', () => {
  it.each<[string, Overrides, Classification]>([
    ['healthy: next rotation in the future', {}, 'healthy'],
    ['due: next rotation a minute ago', { nextRotationDate: at(-60_000) }, 'due'],
    ['due: exactly now', { nextRotationDate: at(0) }, 'due'],
    ['due: 23 h late is still inside the rotation window', { nextRotationDate: at(-23 * HOUR) }, 'due'],
    ['overdue: more than a day late', { nextRotationDate: at(-25 * HOUR) }, 'overdue'],
    ['due: never rotated and no date', { lastRotatedDate: undefined, nextRotationDate: undefined }, 'due'],
    [
      'due: no NextRotationDate, LastRotatedDate + AutomaticallyAfterDays has passed',
      { nextRotationDate: undefined, lastRotatedDate: at(-31 * DAY) },
      'due',
    ],
    [
      'healthy: rotated before, no schedule to be due by',
      { nextRotationDate: undefined, rotationRules: undefined },
      'healthy',
    ],
    ['disabled: rotation off', { rotationEnabled: false, nextRotationDate: at(-5 * DAY) }, 'disabled'],
    ['disabled: no function', { rotationLambdaArn: undefined }, 'disabled'],
    ['empty: no AWSCURRENT', { versionStages: {} }, 'empty'],
    [
      'healthy: AWSPENDING on the current version is a finished rotation',
      { versionStages: { v1: ['AWSCURRENT', 'AWSPENDING'] } },
      'healthy',
    ],
  ])('%s', (_title, overrides, expected) => {
    expect(assessSecret(secret(overrides), NOW, OPTIONS).classification).toBe(expected);
  });

  const stuckStages = { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] };

  it('a foreign AWSPENDING on a secret that changed recently is a rotation running, left alone', () => {
    const result = assessSecret(
      secret({ versionStages: stuckStages, lastChangedDate: at(-5 * 60_000) }),
      NOW,
      OPTIONS,
      false,
    );
    expect(result).toMatchObject({ classification: 'rotating', pendingVersionId: 'v2' });
    expect(result).not.toHaveProperty('action');
  });

  it('a quiet foreign AWSPENDING without a value is stuck: clear, then rotate', () => {
    const result = assessSecret(
      secret({ versionStages: stuckStages, lastChangedDate: at(-2 * HOUR) }),
      NOW,
      OPTIONS,
      false,
    );
    expect(result).toMatchObject({
      classification: 'stuck',
      action: 'clear-then-rotate',
      pendingVersionId: 'v2',
    });
  });

  it('a quiet foreign AWSPENDING holding a value is a failed rotation: resume it, never clear', () => {
    const result = assessSecret(
      secret({ versionStages: stuckStages, lastChangedDate: at(-2 * HOUR) }),
      NOW,
      OPTIONS,
      true,
    );
    expect(result).toMatchObject({ classification: 'failed', action: 'resume', pendingVersionId: 'v2' });
  });

  it('when the value was not probed, assumes it may be live (failed, resume): the cautious choice', () => {
    const result = assessSecret(
      secret({ versionStages: stuckStages, lastChangedDate: at(-2 * HOUR) }),
      NOW,
      OPTIONS,
    );
    expect(result).toMatchObject({ classification: 'failed', action: 'resume' });
  });

  it('stuck beats due: a stuck secret that is also overdue is repaired first', () => {
    const result = assessSecret(
      secret({ versionStages: stuckStages, lastChangedDate: at(-3 * DAY), nextRotationDate: at(-2 * DAY) }),
      NOW,
      OPTIONS,
      false,
    );
    expect(result.classification).toBe('stuck');
  });

  it('a disabled secret with a stuck AWSPENDING is reported, not acted on', () => {
    const result = assessSecret(
      secret({ rotationEnabled: false, versionStages: stuckStages }),
      NOW,
      OPTIONS,
      false,
    );
    expect(result).toMatchObject({ classification: 'disabled', pendingVersionId: 'v2' });
    expect(result).not.toHaveProperty('action');
  });

  it('foreignPending ignores AWSPENDING that sits on AWSCURRENT', () => {
    expect(foreignPending({ v1: ['AWSCURRENT', 'AWSPENDING'] })).toBeUndefined();
    expect(foreignPending({ v1: ['AWSCURRENT'], v2: ['AWSPENDING'] })).toBe('v2');
  });
});
