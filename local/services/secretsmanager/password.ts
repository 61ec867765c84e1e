import {
  GET_RANDOM_PASSWORD_DEFAULTS,
  type PasswordPolicy,
  PasswordPolicyError,
  randomPassword,
} from '../../../functions/lib/random-password.js';
import { invalidParameter } from '../../aws-error.js';

export { PUNCTUATION } from '../../../functions/lib/random-password.js';

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
 * GetRandomPassword: the request's types checked here, the password from the shared
 * `functions/lib/random-password.ts` (the rotation function's generator too), an impossible
 * combination answered with InvalidParameterException naming the parameters.
 */
export const generatePassword = (options: PasswordOptions): string => {
  const length = options.PasswordLength ?? GET_RANDOM_PASSWORD_DEFAULTS.length;
  if (typeof length !== 'number') throw invalidParameter('PasswordLength must be an integer from 1 to 4096.');
  const exclude = options.ExcludeCharacters ?? '';
  if (typeof exclude !== 'string' || exclude.length > 4096) {
    throw invalidParameter('ExcludeCharacters must be a string of at most 4096 characters.');
  }
  const d = GET_RANDOM_PASSWORD_DEFAULTS;
  const policy: PasswordPolicy = {
    length,
    excludeCharacters: exclude,
    excludeNumbers: flag(options.ExcludeNumbers, 'ExcludeNumbers', d.excludeNumbers),
    excludePunctuation: flag(options.ExcludePunctuation, 'ExcludePunctuation', d.excludePunctuation),
    excludeUppercase: flag(options.ExcludeUppercase, 'ExcludeUppercase', d.excludeUppercase),
    excludeLowercase: flag(options.ExcludeLowercase, 'ExcludeLowercase', d.excludeLowercase),
    includeSpace: flag(options.IncludeSpace, 'IncludeSpace', d.includeSpace),
    requireEachIncludedType: flag(
      options.RequireEachIncludedType,
      'RequireEachIncludedType',
      d.requireEachIncludedType,
    ),
  };
  try {
    return randomPassword(policy);
  } catch (error) {
    if (error instanceof PasswordPolicyError)
      throw invalidParameter(`${error.message[0]?.toUpperCase()}${error.message.slice(1)}`);
    throw error;
  }
};
