import { randomInt } from 'node:crypto';
import { invalidParameter } from '../../aws-error.js';

/** The punctuation set the GetRandomPassword API reference lists for `ExcludePunctuation`. */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

export interface PasswordOptions {
  PasswordLength?: unknown;
  ExcludeCharacters?: unknown;
  ExcludeNumbers?: unknown;
  ExcludePunctuation?: unknown;
  ExcludeUppercase?: unknown;
  ExcludeLowercase?: unknown;
  IncludeSpace?: unknown;
  RequireEachIncludedType?: unknown;
}

const flag = (value: unknown, name: string, fallback: boolean): boolean => {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw invalidParameter(`${name} must be a boolean (true or false).`);
  return value;
};

/**
 * Generates a password the way GetRandomPassword documents it: 32 characters unless
 * `PasswordLength` (1-4096) says otherwise, from lowercase, uppercase, digits and the documented
 * punctuation (space only with `IncludeSpace`), minus `ExcludeCharacters`. With
 * `RequireEachIncludedType` (the default) the password holds at least one character of every
 * included letter/digit/punctuation type. Every character comes from `crypto.randomInt`.
 */
export const generatePassword = (options: PasswordOptions): string => {
  const length = options.PasswordLength ?? 32;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > 4096) {
    throw invalidParameter('PasswordLength must be an integer from 1 to 4096.');
  }
  const exclude = options.ExcludeCharacters ?? '';
  if (typeof exclude !== 'string' || exclude.length > 4096) {
    throw invalidParameter('ExcludeCharacters must be a string of at most 4096 characters.');
  }
  const keep = (set: string) => [...set].filter((c) => !exclude.includes(c)).join('');
  const classes: string[] = [];
  if (!flag(options.ExcludeLowercase, 'ExcludeLowercase', false)) classes.push(keep(LOWERCASE));
  if (!flag(options.ExcludeUppercase, 'ExcludeUppercase', false)) classes.push(keep(UPPERCASE));
  if (!flag(options.ExcludeNumbers, 'ExcludeNumbers', false)) classes.push(keep(DIGITS));
  if (!flag(options.ExcludePunctuation, 'ExcludePunctuation', false)) classes.push(keep(PUNCTUATION));
  const required = classes.filter((c) => c.length > 0);
  // A space widens the pool but is not one of the types RequireEachIncludedType insists on.
  const pool = required.join('') + (flag(options.IncludeSpace, 'IncludeSpace', false) ? keep(' ') : '');
  if (pool.length === 0) {
    throw invalidParameter(
      'The password has no characters to use: the Exclude* options and ExcludeCharacters removed every character type.',
    );
  }
  const requireEach = flag(options.RequireEachIncludedType, 'RequireEachIncludedType', true);
  if (requireEach && length < required.length) {
    throw invalidParameter(
      `PasswordLength ${length} is too short to include each of the ${required.length} included character types; raise PasswordLength or set RequireEachIncludedType to false.`,
    );
  }
  const pick = (set: string): string => set.charAt(randomInt(set.length));
  const chars = requireEach ? required.map(pick) : [];
  while (chars.length < length) chars.push(pick(pool));
  // Fisher-Yates, so the guaranteed characters do not sit at fixed positions.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const a = chars[i] as string;
    chars[i] = chars[j] as string;
    chars[j] = a;
  }
  return chars.join('');
};
