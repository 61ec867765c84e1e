import { randomInt } from 'node:crypto';

/**
 * Secrets Manager's GetRandomPassword, as its API reference documents it, for the rotation
 * function (which generates locally: one API call less per rotation, nothing to throttle) and
 * for the local endpoint's GetRandomPassword operation. One implementation, so the two cannot
 * disagree.
 *
 * - PasswordLength: 1 to 4096, default 32.
 * - ExcludeCharacters: characters never used.
 * - ExcludeNumbers / ExcludePunctuation / ExcludeUppercase / ExcludeLowercase: drop that type.
 * - IncludeSpace: the password *can* contain spaces (the space joins the pool).
 * - RequireEachIncludedType (default true): at least one upper and lowercase letter, one number
 *   and one punctuation character, of those types not excluded. The space is not one of those
 *   types: with IncludeSpace a password holds a space only as often as chance makes it.
 *
 * Randomness: every draw is `crypto.randomInt` (the operating system's CSPRNG, no modulo bias)
 * and a password that misses a required type is drawn again, so every valid password is
 * equally likely.
 */

export const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
export const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const NUMBERS = '0123456789';
/** The punctuation the API reference lists for ExcludePunctuation (32 characters). */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export const MIN_PASSWORD_LENGTH = 1;
export const MAX_PASSWORD_LENGTH = 4096;

/** GetRandomPassword's parameters, in the rotation function's spelling. */
export interface PasswordPolicy {
  readonly length: number;
  readonly excludeCharacters: string;
  readonly excludeNumbers: boolean;
  readonly excludePunctuation: boolean;
  readonly excludeUppercase: boolean;
  readonly excludeLowercase: boolean;
  readonly includeSpace: boolean;
  readonly requireEachIncludedType: boolean;
}

/** GetRandomPassword's defaults: 32 characters, every type, one of each required. */
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

/** How a caller names the policy's fields in its error messages (its users' spelling). */
export type PolicyFieldNames = Readonly<Record<keyof PasswordPolicy, string>>;

/** The API's own parameter names, the default. */
export const API_FIELD_NAMES: PolicyFieldNames = {
  length: 'PasswordLength',
  excludeCharacters: 'ExcludeCharacters',
  excludeNumbers: 'ExcludeNumbers',
  excludePunctuation: 'ExcludePunctuation',
  excludeUppercase: 'ExcludeUppercase',
  excludeLowercase: 'ExcludeLowercase',
  includeSpace: 'IncludeSpace',
  requireEachIncludedType: 'RequireEachIncludedType',
};

/**
 * A policy that cannot produce a password. The message names the fields and the fix, never
 * the excluded characters.
 */
export class PasswordPolicyError extends Error {
  public override readonly name = 'PasswordPolicyError';
}

interface CharacterType {
  readonly name: string;
  readonly characters: string;
}

/** The types RequireEachIncludedType insists on (less excluded characters; emptied types dropped), and the pool. */
const charactersOf = (policy: PasswordPolicy): { required: CharacterType[]; pool: string } => {
  const excluded = new Set(policy.excludeCharacters);
  const keep = (characters: string) => [...characters].filter((c) => !excluded.has(c)).join('');
  const types: CharacterType[] = [];
  if (!policy.excludeLowercase) types.push({ name: 'lowercase letter', characters: keep(LOWERCASE) });
  if (!policy.excludeUppercase) types.push({ name: 'uppercase letter', characters: keep(UPPERCASE) });
  if (!policy.excludeNumbers) types.push({ name: 'number', characters: keep(NUMBERS) });
  if (!policy.excludePunctuation) types.push({ name: 'punctuation', characters: keep(PUNCTUATION) });
  const required = types.filter((t) => t.characters.length > 0);
  const pool = required.map((t) => t.characters).join('') + (policy.includeSpace ? keep(' ') : '');
  return { required, pool };
};

/** Throws {@link PasswordPolicyError} when `policy` cannot produce a password. */
export const validatePasswordPolicy = (
  policy: PasswordPolicy,
  names: PolicyFieldNames = API_FIELD_NAMES,
): void => {
  check(policy, names);
};

const check = (policy: PasswordPolicy, names: PolicyFieldNames) => {
  const { length } = policy;
  if (!Number.isInteger(length) || length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new PasswordPolicyError(
      `${names.length} must be an integer from ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}; got ${length}.`,
    );
  }
  const characters = charactersOf(policy);
  if (characters.pool.length === 0) {
    throw new PasswordPolicyError(
      `every character class is excluded (by ${names.excludeLowercase}, ${names.excludeUppercase}, ${names.excludeNumbers}, ${names.excludePunctuation} or ${names.excludeCharacters}); include at least one.`,
    );
  }
  if (policy.requireEachIncludedType && characters.required.length > length) {
    throw new PasswordPolicyError(
      `a password of ${length} characters cannot hold one of each of the ${characters.required.length} included types (${characters.required.map((t) => t.name).join(', ')}); raise ${names.length} or set ${names.requireEachIncludedType} to false.`,
    );
  }
  return characters;
};

/** A source of uniform random integers in [0, max), as `crypto.randomInt` is. */
export type RandomInt = (max: number) => number;

const cryptoRandomInt: RandomInt = (max) => randomInt(max);

// Drawing again until every required type is present keeps every valid password equally likely.
// Even the worst case (one character per type, one type of a single character) succeeds within
// this many draws but for a chance far below one in a million; past it, one character of each
// type is placed at random positions so that a rigged or broken source still terminates.
const MAX_DRAWS = 10_000;

/**
 * A password under `policy` with GetRandomPassword's semantics. Throws
 * {@link PasswordPolicyError}, naming fields as `names` spells them, for an impossible policy.
 */
export const randomPassword = (
  policy: PasswordPolicy,
  options: { random?: RandomInt; names?: PolicyFieldNames } = {},
): string => {
  const random = options.random ?? cryptoRandomInt;
  const { required, pool } = check(policy, options.names ?? API_FIELD_NAMES);
  const draw = (from: string): string => from.charAt(random(from.length));
  const holdsEveryType = (candidate: string[]) =>
    required.every((t) => candidate.some((c) => t.characters.includes(c)));

  for (let attempt = 0; attempt < MAX_DRAWS; attempt++) {
    const candidate = Array.from({ length: policy.length }, () => draw(pool));
    if (!policy.requireEachIncludedType || holdsEveryType(candidate)) return candidate.join('');
  }
  const chars = Array.from({ length: policy.length }, () => draw(pool));
  // Fisher-Yates over positions, then one character of each type at the first positions.
  const positions = chars.map((_, i) => i);
  for (let i = positions.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [positions[i], positions[j]] = [positions[j] as number, positions[i] as number];
  }
  required.forEach((t, i) => {
    const position = positions[i];
    if (position !== undefined) chars[position] = draw(t.characters);
  });
  return chars.join('');
};
