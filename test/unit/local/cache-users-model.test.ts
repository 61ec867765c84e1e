import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../local/aws-error.js';
import {
  accessRules,
  type CacheUserRecord,
  checkPasswords,
  setUserArgs,
  statusOf,
} from '../../../local/services/elasticache/model.js';

const error = (message: string) => new AwsError('InvalidParameterValue', message);
const user = (over: Partial<CacheUserRecord>): CacheUserRecord => ({
  id: 'app',
  userName: 'app-user',
  engine: 'redis',
  accessString: 'on ~app:* -@all +get',
  authenticationType: 'password',
  passwords: ['first-password-0001', 'second-password-002'],
  arn: 'arn:aws:elasticache:eu-west-1:123456789012:user:app',
  modifyingUntil: 0,
  groups: [],
  tags: [],
  ...over,
});

describe('ElastiCache/MemoryDB user model', () => {
  it('turns a user into one ACL SETUSER: rules reset, the access string, then every password', () => {
    expect(setUserArgs(user({}))).toEqual([
      'ACL',
      'SETUSER',
      'app-user',
      'reset',
      'on',
      '~app:*',
      '-@all',
      '+get',
      '>first-password-0001',
      '>second-password-002',
    ]);
    expect(setUserArgs(user({ authenticationType: 'no-password', passwords: [] })).slice(-1)).toEqual([
      'nopass',
    ]);
    expect(setUserArgs(user({ authenticationType: 'iam', passwords: [] })).slice(-1)).toEqual(['+get']);
  });

  it('refuses access strings that would set or clear passwords', () => {
    for (const rule of ['>pw', '<pw', '#abc', '!abc', 'nopass', 'resetpass', 'reset']) {
      expect(() => accessRules(`on ${rule} ~* +@all`, error)).toThrow(/may not set or clear passwords/);
    }
    expect(() => accessRules('   ', error)).toThrow(/at least one rule/);
    expect(accessRules('on  ~*\t+@all', error)).toEqual(['on', '~*', '+@all']);
  });

  it.each([
    [[], /one or two passwords/],
    [['a'.repeat(16), 'b'.repeat(16), 'c'.repeat(16)], /one or two passwords/],
    [['a'.repeat(15)], /16-128/],
    [['a'.repeat(129)], /16-128/],
    [[`${'a'.repeat(15)}@`], /not allowed/],
    [[`${'a'.repeat(15)} `], /not allowed/],
    [[`${'a'.repeat(15)}é`], /not allowed/],
  ])('refuses passwords %#', (passwords, message) => {
    expect(() => checkPasswords(passwords, error)).toThrow(message);
  });

  it('accepts 16 to 128 printable characters other than , " / @', () => {
    expect(() => checkPasswords(['a'.repeat(16), `${'b'.repeat(120)}!#$%&*+-`], error)).not.toThrow();
  });

  it('is modifying until the recorded time, then active', () => {
    expect(statusOf({ modifyingUntil: 2000 }, new Date(1999))).toBe('modifying');
    expect(statusOf({ modifyingUntil: 2000 }, new Date(2000))).toBe('active');
  });
});
