import { describe, expect, it } from 'vitest';
import type { AwsError } from '../../../../local/aws-error.js';
import { validateRotationRules } from '../../../../local/services/secretsmanager/schedule.js';
import { thrown } from '../../../helpers/thrown.js';

describe('validateRotationRules', () => {
  it('keeps the rules as given when they are within the documented ranges', () => {
    expect(validateRotationRules({ AutomaticallyAfterDays: 30 })).toEqual({ AutomaticallyAfterDays: 30 });
    expect(validateRotationRules({ ScheduleExpression: 'rate(4 hours)', Duration: '2h' })).toEqual({
      ScheduleExpression: 'rate(4 hours)',
      Duration: '2h',
    });
  });

  it('refuses rules out of range with InvalidParameterException naming the RotationRules field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { AutomaticallyAfterDays: 0 },
        /^RotationRules\.AutomaticallyAfterDays must be an integer from 1 to 1000/,
      ],
      [{ ScheduleExpression: 'rate(2 hours)' }, /^RotationRules\.ScheduleExpression .* out of range/],
      [{ AutomaticallyAfterDays: 5, Duration: '25h' }, /^RotationRules\.Duration is not valid: .*1h to 24h/],
      [{ AutomaticallyAfterDays: 5, ScheduleExpression: 'rate(5 days)' }, /not both/],
      [{ Duration: '3h' }, /needs AutomaticallyAfterDays or ScheduleExpression/],
      ['rate(1 day)', /must be an object/],
    ];
    for (const [rules, message] of cases) {
      const error = thrown<AwsError>(() => validateRotationRules(rules));
      expect(error.type).toBe('InvalidParameterException');
      expect(error.message).toMatch(message);
    }
  });
});
