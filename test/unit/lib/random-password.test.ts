import { describe, expect, it } from 'vitest';
import {
  API_FIELD_NAMES,
  GET_RANDOM_PASSWORD_DEFAULTS,
  type PasswordPolicy,
  randomPassword,
} from '../../../functions/lib/random-password.js';
import { describeGetRandomPassword } from '../../helpers/get-random-password.js';

/** The request's parameters onto the policy, as the endpoint maps them (type checks aside). */
describeGetRandomPassword('functions/lib/random-password.ts', async (input) => {
  const d = GET_RANDOM_PASSWORD_DEFAULTS;
  const policy: PasswordPolicy = {
    length: input.PasswordLength ?? d.length,
    excludeCharacters: input.ExcludeCharacters ?? d.excludeCharacters,
    excludeNumbers: input.ExcludeNumbers ?? d.excludeNumbers,
    excludePunctuation: input.ExcludePunctuation ?? d.excludePunctuation,
    excludeUppercase: input.ExcludeUppercase ?? d.excludeUppercase,
    excludeLowercase: input.ExcludeLowercase ?? d.excludeLowercase,
    includeSpace: input.IncludeSpace ?? d.includeSpace,
    requireEachIncludedType: input.RequireEachIncludedType ?? d.requireEachIncludedType,
  };
  return randomPassword(policy);
});

describe('randomPassword', () => {
  it('still holds one of each required type when every draw is the same (a rigged random source)', () => {
    const password = randomPassword({ ...GET_RANDOM_PASSWORD_DEFAULTS, length: 4 }, { random: () => 0 });
    expect(password).toHaveLength(4);
    expect(password).toMatch(/[a-z]/);
    expect(password).toMatch(/[A-Z]/);
    expect(password).toMatch(/[0-9]/);
    expect(password).toMatch(/[^A-Za-z0-9]/);
  });

  it('names the fields as the caller spells them', () => {
    expect(() =>
      randomPassword(
        { ...GET_RANDOM_PASSWORD_DEFAULTS, length: 0 },
        { names: { ...API_FIELD_NAMES, length: 'PASSWORD_LENGTH' } },
      ),
    ).toThrow(/^PASSWORD_LENGTH must be an integer from 1 to 4096; got 0\.$/);
  });
});
