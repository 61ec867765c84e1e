import { describe, expect, it } from 'vitest';
import {
  FUNCTION_DEFAULT_POLICY,
  GET_RANDOM_PASSWORD_DEFAULTS,
  generatePassword,
  LOWERCASE,
  NUMBERS,
  PUNCTUATION,
  passwordDefaultsFromEnv,
  passwordPolicyFromTags,
  UPPERCASE,
} from '../../../functions/secret-rotation/password.js';
import type { PasswordPolicy } from '../../../functions/secret-rotation/rotators/types.js';

const policy = (overrides: Partial<PasswordPolicy> = {}): PasswordPolicy => ({
  ...GET_RANDOM_PASSWORD_DEFAULTS,
  ...overrides,
});

const classesIn = (password: string) => ({
  lower: [...password].some((c) => LOWERCASE.includes(c)),
  upper: [...password].some((c) => UPPERCASE.includes(c)),
  number: [...password].some((c) => NUMBERS.includes(c)),
  punctuation: [...password].some((c) => PUNCTUATION.includes(c)),
  space: password.includes(' '),
});

describe('generatePassword (GetRandomPassword semantics)', () => {
  it('makes 32 characters of every class by default, different each time', () => {
    const passwords = Array.from({ length: 50 }, () => generatePassword(policy()));

    for (const password of passwords) {
      expect(password).toHaveLength(32);
      expect(classesIn(password)).toEqual({
        lower: true,
        upper: true,
        number: true,
        punctuation: true,
        space: false,
      });
    }
    expect(new Set(passwords).size).toBe(50);
  });

  it('never uses excluded characters or excluded classes', () => {
    const p = policy({
      length: 200,
      excludeCharacters: 'abcXYZ019',
      excludePunctuation: true,
      requireEachIncludedType: false,
    });

    for (let i = 0; i < 20; i++) {
      const password = generatePassword(p);
      expect(password).toMatch(/^[A-Za-z0-9]{200}$/);
      expect(password).not.toMatch(/[abcXYZ019]/);
    }
  });

  it('includes a space when asked, but does not require one: it is not a type require-each-included-type names', () => {
    // GetRandomPassword's reference: RequireEachIncludedType asks for letters, a number and
    // punctuation; IncludeSpace only lets the password contain spaces.
    const passwords = Array.from({ length: 500 }, () =>
      generatePassword(policy({ length: 6, includeSpace: true, excludePunctuation: true })),
    );

    for (const password of passwords) {
      expect(classesIn(password)).toMatchObject({
        lower: true,
        upper: true,
        number: true,
        punctuation: false,
      });
    }
    const spaced = passwords.filter((p) => classesIn(p).space).length;
    expect(spaced).toBeGreaterThan(0);
    expect(spaced).toBeLessThan(passwords.length);
  });

  it('holds one of each class even when a draw would miss one (rigged random source)', () => {
    // A random source that always picks index 0: every uniform draw is 'a', so only the
    // fallback can satisfy the requirement.
    const password = generatePassword(policy({ length: 4 }), () => 0);

    expect(password).toHaveLength(4);
    expect(classesIn(password)).toMatchObject({ lower: true, upper: true, number: true, punctuation: true });
  });

  it.each([
    ['length 0', { length: 0 }, /length must be an integer from 1 to 4096; got 0/],
    ['length 4097', { length: 4097 }, /got 4097/],
    [
      'every class excluded',
      { excludeLowercase: true, excludeUppercase: true, excludeNumbers: true, excludePunctuation: true },
      /every character class is excluded/,
    ],
    [
      'numbers excluded one by one and nothing else left',
      { excludeCharacters: `${LOWERCASE}${UPPERCASE}${NUMBERS}${PUNCTUATION}` },
      /every character class is excluded/,
    ],
    [
      'fewer characters than required types',
      { length: 3 },
      /cannot hold one of each of the 4 included types/,
    ],
  ])('refuses an impossible policy: %s', (_, overrides, message) => {
    expect(() => generatePassword(policy(overrides))).toThrow(message);
  });
});

describe('password policy from the environment and tags', () => {
  it('defaults to 32 characters without / @ " \' \\ as the AWS templates do', () => {
    expect(passwordDefaultsFromEnv({})).toEqual(FUNCTION_DEFAULT_POLICY);
    const password = generatePassword(FUNCTION_DEFAULT_POLICY);
    expect(password).toHaveLength(32);
    expect(password).not.toMatch(/[/@"'\\]/);
  });

  it('reads every setting from the environment', () => {
    expect(
      passwordDefaultsFromEnv({
        PASSWORD_LENGTH: '20',
        EXCLUDE_CHARACTERS: '',
        EXCLUDE_NUMBERS: 'true',
        EXCLUDE_PUNCTUATION: 'TRUE',
        EXCLUDE_UPPERCASE: 'false',
        EXCLUDE_LOWERCASE: 'false',
        INCLUDE_SPACE: 'true',
        REQUIRE_EACH_INCLUDED_TYPE: 'false',
      }),
    ).toEqual({
      length: 20,
      excludeCharacters: '',
      excludeNumbers: true,
      excludePunctuation: true,
      excludeUppercase: false,
      excludeLowercase: false,
      includeSpace: true,
      requireEachIncludedType: false,
    });
  });

  it.each([
    [{ EXCLUDE_NUMBERS: 'yes' }, /EXCLUDE_NUMBERS must be true or false; got 'yes'/],
    [{ PASSWORD_LENGTH: '0' }, /PASSWORD_LENGTH must be an integer from 1 to 4096; got '0'/],
    [{ PASSWORD_LENGTH: '2' }, /conflict.*cannot hold one of each/],
  ])('names a malformed variable: %o', (env, message) => {
    expect(() => passwordDefaultsFromEnv(env)).toThrow(message);
  });

  it('lets tags override the function defaults', () => {
    const tagged = passwordPolicyFromTags(
      {
        'rekey:password-length': '64',
        'rekey:exclude-characters': ':/=+',
        'rekey:exclude-punctuation': 'false',
        'rekey:include-space': 'true',
        'rekey:require-each-included-type': 'false',
        unrelated: 'x',
      },
      FUNCTION_DEFAULT_POLICY,
    );

    expect(tagged).toEqual({
      ...FUNCTION_DEFAULT_POLICY,
      length: 64,
      excludeCharacters: ':/=+',
      includeSpace: true,
      requireEachIncludedType: false,
    });
  });

  it.each([
    [
      { 'rekey:password-length': 'forty' },
      /Tag rekey:password-length must be an integer from 1 to 4096; got 'forty'/,
    ],
    [{ 'rekey:password-length': '12.5' }, /got '12.5'/],
    [{ 'rekey:exclude-numbers': 'on' }, /Tag rekey:exclude-numbers must be true or false; got 'on'/],
    [
      {
        'rekey:exclude-lowercase': 'true',
        'rekey:exclude-uppercase': 'true',
        'rekey:exclude-numbers': 'true',
        'rekey:exclude-punctuation': 'true',
      },
      /every character class is excluded.*rekey:\* password tags/,
    ],
  ])('refuses invalid tag values, naming the tag: %o', (tags, message) => {
    expect(() => passwordPolicyFromTags(tags, FUNCTION_DEFAULT_POLICY)).toThrow(message);
    try {
      passwordPolicyFromTags(tags, FUNCTION_DEFAULT_POLICY);
    } catch (error) {
      expect((error as Error).name).toBe('RotationConfigurationError');
    }
  });
});
