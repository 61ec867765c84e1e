/** Secrets Manager's own input shapes, read through the shared `InputReader`. */
import { InputReader } from '../../core/input.js';
import type { SecretValue, Tag } from './records.js';

const MAX_VALUE_BYTES = 65_536;
export const MAX_TAGS = 50;

/** Secrets Manager answers malformed input with InvalidParameterException. */
export const readInput = (input: unknown): InputReader => new InputReader(input, 'InvalidParameterException');

export const clientToken = (input: InputReader): string | undefined => {
  const token = input.optString('ClientRequestToken');
  if (token !== undefined && (token.length < 32 || token.length > 64)) {
    throw input.error('ClientRequestToken must be 32 to 64 characters long (a UUID works).');
  }
  return token;
};

/** SecretString or SecretBinary (never both), within the 64 KB quota. */
export const secretValue = (input: InputReader): SecretValue | undefined => {
  const secretString = input.optString('SecretString');
  const secretBinary = input.optString('SecretBinary');
  if (secretString !== undefined && secretBinary !== undefined) {
    throw input.error(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (secretString !== undefined) {
    if (Buffer.byteLength(secretString, 'utf8') > MAX_VALUE_BYTES) {
      throw input.error(`SecretString must be at most ${MAX_VALUE_BYTES} bytes.`);
    }
    return { secretString };
  }
  if (secretBinary !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(secretBinary))
      throw input.error('SecretBinary must be base64 encoded.');
    const size = Buffer.from(secretBinary, 'base64').length;
    if (size < 1 || size > MAX_VALUE_BYTES)
      throw input.error(`SecretBinary must be 1 to ${MAX_VALUE_BYTES} bytes.`);
    return { secretBinary };
  }
  return undefined;
};

export const tags = (input: InputReader, field = 'Tags'): Tag[] => {
  if (input.has(field) && !Array.isArray(input.raw[field]))
    throw input.error(`${field} must be a list of {Key, Value}.`);
  return (input.optObjectList(field) ?? []).map((tag) => {
    const key = tag.raw.Key;
    if (typeof key !== 'string' || key.length < 1 || key.length > 128) {
      throw tag.error(`${tag.name('Key')} must be a string of 1 to 128 characters.`);
    }
    const value = tag.raw.Value ?? '';
    if (typeof value !== 'string' || value.length > 256) {
      throw tag.error(`${tag.name('Value')} must be a string of at most 256 characters.`);
    }
    return { Key: key, Value: value };
  });
};

/** VersionStages: 1 to 20 staging labels, duplicates counted once. */
export const versionStages = (input: InputReader): string[] | undefined => {
  const stages = input.optStringList('VersionStages', { minItems: 1, maxItems: 20, itemMax: 256 });
  return stages && [...new Set(stages)];
};
