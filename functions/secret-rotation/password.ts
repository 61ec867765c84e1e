import { randomInt } from 'node:crypto';
import { ConfigurationError, integer, optionalString } from '../lib/config.js';
import { RotationConfigurationError } from './errors.js';
import type { PasswordPolicy } from './rotators/types.js';

/**
 * Local password generation with the semantics of Secrets Manager's GetRandomPassword.
 *
 * Why local rather than GetRandomPassword: it saves one API call per rotation (the protocol's
 * budget is at most 9 Secrets Manager calls per rotation), it cannot be throttled, and
 * `crypto.randomInt` draws from the operating system's CSPRNG without modulo bias, which is
 * what GetRandomPassword promises too. The character classes, defaults, limits and the
 * RequireEachIncludedType rule below are those of the GetRandomPassword API reference.
 */

export const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
export const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const NUMBERS = '0123456789';
/** GetRandomPassword's punctuation set. */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export const MIN_PASSWORD_LENGTH = 1;
export const MAX_PASSWORD_LENGTH = 4096;

/** GetRandomPassword's defaults: 32 characters, every class, one of each required. */
export const GET_RANDOM_PASSWORD_DEFAULTS: PasswordPolicy = {
  length: 32,
  excludeCharacters: '',
  excludeNumbers: false,
  excludePunctuation: false,
  excludeUppercase: false,
  excludeLowercase: false,
  includeSpace: false,
  requireEachIncludedType: true,
};

/**
 * The function's default policy when its environment sets nothing: GetRandomPassword's,
 * except that it excludes `/ @ " ' \` as AWS's rotation templates do, since these break
 * connection strings, shell quoting and JSON embedded in configuration files.
 */
export const FUNCTION_DEFAULT_POLICY: PasswordPolicy = {
  ...GET_RANDOM_PASSWORD_DEFAULTS,
  excludeCharacters: '/@"\'\\',
};

/** Raised by {@link generatePassword} when a policy leaves nothing to draw from. */
const policyError = (message: string) =>
  new RotationConfigurationError(`Password policy is invalid: ${message}`);

interface CharacterClass {
  readonly name: string;
  readonly characters: string;
}

/** The character classes a policy includes, each less the excluded characters; empty classes dropped. */
const includedClasses = (policy: PasswordPolicy): CharacterClass[] => {
  const excluded = new Set(policy.excludeCharacters);
  const keep = (characters: string) => [...characters].filter((c) => !excluded.has(c)).join('');
  const classes: CharacterClass[] = [];
  if (!policy.excludeLowercase) classes.push({ name: 'lowercase letters', characters: keep(LOWERCASE) });
  if (!policy.excludeUppercase) classes.push({ name: 'uppercase letters', characters: keep(UPPERCASE) });
  if (!policy.excludeNumbers) classes.push({ name: 'numbers', characters: keep(NUMBERS) });
  if (!policy.excludePunctuation) classes.push({ name: 'punctuation', characters: keep(PUNCTUATION) });
  if (policy.includeSpace) classes.push({ name: 'space', characters: keep(' ') });
  return classes.filter((c) => c.characters.length > 0);
};

/**
 * Checks that a policy can produce a password; throws `RotationConfigurationError` naming
 * the conflicting settings otherwise.
 */
export const validatePasswordPolicy = (policy: PasswordPolicy): void => {
  if (
    !Number.isInteger(policy.length) ||
    policy.length < MIN_PASSWORD_LENGTH ||
    policy.length > MAX_PASSWORD_LENGTH
  ) {
    throw policyError(
      `the length must be an integer from ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}; got ${policy.length}.`,
    );
  }
  const classes = includedClasses(policy);
  if (classes.length === 0) {
    throw policyError(
      'every character class is excluded (by the exclude-* settings or the excluded characters); include at least one.',
    );
  }
  if (policy.requireEachIncludedType && classes.length > policy.length) {
    throw policyError(
      `a password of ${policy.length} characters cannot hold one of each of the ${classes.length} included types (${classes.map((c) => c.name).join(', ')}); raise the length or set require-each-included-type to false.`,
    );
  }
};

/** A source of uniform random integers in [0, max), as `crypto.randomInt` is. */
export type RandomInt = (max: number) => number;

const cryptoRandomInt: RandomInt = (max) => randomInt(max);

// Rejection sampling keeps the distribution uniform over all valid passwords. With the
// defaults a draw misses a class rarely; the cap only matters for tiny lengths with many
// classes, where the fallback below places one character of each class at random positions.
const MAX_DRAWS = 1000;

/**
 * Generates a password under `policy` with GetRandomPassword's semantics: characters drawn
 * uniformly from the included classes (lowercase, uppercase, numbers, punctuation, and space
 * when asked), less `excludeCharacters`; with `requireEachIncludedType`, at least one
 * character of every included class.
 */
export const generatePassword = (policy: PasswordPolicy, random: RandomInt = cryptoRandomInt): string => {
  validatePasswordPolicy(policy);
  const classes = includedClasses(policy);
  const pool = classes.map((c) => c.characters).join('');
  const draw = (from: string): string => from.charAt(random(from.length));
  const hasEveryClass = (candidate: string[]) =>
    classes.every((c) => candidate.some((ch) => c.characters.includes(ch)));

  for (let attempt = 0; attempt < MAX_DRAWS; attempt++) {
    const candidate = Array.from({ length: policy.length }, () => draw(pool));
    if (!policy.requireEachIncludedType || hasEveryClass(candidate)) return candidate.join('');
  }
  const chars = Array.from({ length: policy.length }, () => draw(pool));
  // Fisher-Yates over positions, then one character of each class at the first positions.
  const positions = chars.map((_, i) => i);
  for (let i = positions.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [positions[i], positions[j]] = [positions[j] as number, positions[i] as number];
  }
  classes.forEach((c, i) => {
    const position = positions[i];
    if (position !== undefined) chars[position] = draw(c.characters);
  });
  return chars.join('');
};

/** Tags that set the password policy of one secret; see {@link passwordPolicyFromTags}. */
export const PASSWORD_TAGS = {
  length: 'rekey:password-length',
  excludeCharacters: 'rekey:exclude-characters',
  excludeNumbers: 'rekey:exclude-numbers',
  excludePunctuation: 'rekey:exclude-punctuation',
  excludeUppercase: 'rekey:exclude-uppercase',
  excludeLowercase: 'rekey:exclude-lowercase',
  includeSpace: 'rekey:include-space',
  requireEachIncludedType: 'rekey:require-each-included-type',
} as const satisfies Record<keyof PasswordPolicy, string>;

/** Environment variables that set the function-wide default policy; see {@link passwordDefaultsFromEnv}. */
export const PASSWORD_ENV = {
  length: 'PASSWORD_LENGTH',
  excludeCharacters: 'EXCLUDE_CHARACTERS',
  excludeNumbers: 'EXCLUDE_NUMBERS',
  excludePunctuation: 'EXCLUDE_PUNCTUATION',
  excludeUppercase: 'EXCLUDE_UPPERCASE',
  excludeLowercase: 'EXCLUDE_LOWERCASE',
  includeSpace: 'INCLUDE_SPACE',
  requireEachIncludedType: 'REQUIRE_EACH_INCLUDED_TYPE',
} as const satisfies Record<keyof PasswordPolicy, string>;

type BooleanKey = Exclude<keyof PasswordPolicy, 'length' | 'excludeCharacters'>;
const BOOLEAN_KEYS: readonly BooleanKey[] = [
  'excludeNumbers',
  'excludePunctuation',
  'excludeUppercase',
  'excludeLowercase',
  'includeSpace',
  'requireEachIncludedType',
];

const parseBoolean = (raw: string): boolean | undefined => {
  const value = raw.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
};

/**
 * Reads the function-wide default password policy from the environment once (through
 * `functions/lib/config.ts`). Unset variables keep {@link FUNCTION_DEFAULT_POLICY}.
 *
 * - `PASSWORD_LENGTH`: 1 to 4096 (default 32).
 * - `EXCLUDE_CHARACTERS`: characters never used (default `/@"'\`).
 * - `EXCLUDE_NUMBERS`, `EXCLUDE_PUNCTUATION`, `EXCLUDE_UPPERCASE`, `EXCLUDE_LOWERCASE`,
 *   `INCLUDE_SPACE`: `true` or `false` (default false).
 * - `REQUIRE_EACH_INCLUDED_TYPE`: `true` or `false` (default true).
 *
 * Throws `ConfigurationError` naming the variable when a value is malformed or the policy
 * cannot produce a password.
 */
export const passwordDefaultsFromEnv = (env: NodeJS.ProcessEnv = process.env): PasswordPolicy => {
  const booleans: Partial<Record<BooleanKey, boolean>> = {};
  for (const key of BOOLEAN_KEYS) {
    const raw = optionalString(PASSWORD_ENV[key], env);
    if (raw === undefined) continue;
    const value = parseBoolean(raw);
    if (value === undefined) {
      throw new ConfigurationError(
        `Environment variable ${PASSWORD_ENV[key]} must be true or false; got '${raw}'.`,
      );
    }
    booleans[key] = value;
  }
  // EXCLUDE_CHARACTERS is read raw: an empty value means "exclude nothing", unlike unset.
  const excludeCharacters = env[PASSWORD_ENV.excludeCharacters];
  const policy: PasswordPolicy = {
    ...FUNCTION_DEFAULT_POLICY,
    ...booleans,
    length: integer(
      PASSWORD_ENV.length,
      FUNCTION_DEFAULT_POLICY.length,
      {
        min: MIN_PASSWORD_LENGTH,
        max: MAX_PASSWORD_LENGTH,
      },
      env,
    ),
    excludeCharacters: excludeCharacters ?? FUNCTION_DEFAULT_POLICY.excludeCharacters,
  };
  try {
    validatePasswordPolicy(policy);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError(
      `The password settings in the environment (${Object.values(PASSWORD_ENV).join(', ')}) conflict. ${message}`,
    );
  }
  return policy;
};

/**
 * The password policy of one secret: the function's defaults overridden by the secret's tags.
 *
 * | Tag | Value | Overrides |
 * | --- | --- | --- |
 * | `rekey:password-length` | integer 1-4096 | `PASSWORD_LENGTH` |
 * | `rekey:exclude-characters` | characters never used | `EXCLUDE_CHARACTERS` |
 * | `rekey:exclude-numbers` | `true` / `false` | `EXCLUDE_NUMBERS` |
 * | `rekey:exclude-punctuation` | `true` / `false` | `EXCLUDE_PUNCTUATION` |
 * | `rekey:exclude-uppercase` | `true` / `false` | `EXCLUDE_UPPERCASE` |
 * | `rekey:exclude-lowercase` | `true` / `false` | `EXCLUDE_LOWERCASE` |
 * | `rekey:include-space` | `true` / `false` | `INCLUDE_SPACE` |
 * | `rekey:require-each-included-type` | `true` / `false` | `REQUIRE_EACH_INCLUDED_TYPE` |
 *
 * AWS tag values may only hold letters, digits, spaces and `_ . : / = + - @`, so
 * `rekey:exclude-characters` cannot name quotes or backslashes: exclude those through
 * `EXCLUDE_CHARACTERS` or `rekey:exclude-punctuation`. Setting the tag replaces the
 * function's excluded characters rather than adding to them, as GetRandomPassword's
 * parameter does.
 *
 * Throws `RotationConfigurationError` naming the tag, its value and the accepted values.
 */
export const passwordPolicyFromTags = (
  tags: Readonly<Record<string, string>>,
  defaults: PasswordPolicy,
): PasswordPolicy => {
  const booleans: Partial<Record<BooleanKey, boolean>> = {};
  for (const key of BOOLEAN_KEYS) {
    const raw = tags[PASSWORD_TAGS[key]];
    if (raw === undefined) continue;
    const value = parseBoolean(raw);
    if (value === undefined) {
      throw new RotationConfigurationError(
        `Tag ${PASSWORD_TAGS[key]} must be true or false; got '${raw}'. Fix the tag with TagResource.`,
      );
    }
    booleans[key] = value;
  }
  let length = defaults.length;
  const rawLength = tags[PASSWORD_TAGS.length];
  if (rawLength !== undefined) {
    length = Number(rawLength.trim());
    if (!/^\d+$/.test(rawLength.trim()) || length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
      throw new RotationConfigurationError(
        `Tag ${PASSWORD_TAGS.length} must be an integer from ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}; got '${rawLength}'. Fix the tag with TagResource.`,
      );
    }
  }
  const policy: PasswordPolicy = {
    ...defaults,
    ...booleans,
    length,
    excludeCharacters: tags[PASSWORD_TAGS.excludeCharacters] ?? defaults.excludeCharacters,
  };
  try {
    validatePasswordPolicy(policy);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new RotationConfigurationError(`${message} Adjust the secret's rekey:* password tags.`);
  }
  return policy;
};
