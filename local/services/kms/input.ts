import { AwsError, validation } from '../../aws-error.js';
import { type Input, InputReader } from '../../core/input.js';
import { pageOf } from '../../core/paging.js';

/**
 * Reading the JSON input of a KMS operation through the endpoint's one input reader
 * (`local/core/input.ts`, errors naming the field), plus what only KMS has: tag lists with
 * TagException and Limit/Marker paging through the one paging codec.
 */

export type { Input };
export { validation };

const reader = (input: Input): InputReader => new InputReader(input, 'ValidationException');

export const optString = (input: Input, name: string, max = 2048): string | undefined =>
  reader(input).optString(name, { max });

export const reqString = (input: Input, name: string, max = 2048): string =>
  reader(input).reqString(name, { max });

export const optBool = (input: Input, name: string): boolean | undefined => reader(input).optBool(name);

export const optInt = (input: Input, name: string, min: number, max: number): number | undefined =>
  reader(input).optInt(name, min, max);

export const optEnum = <T extends string>(input: Input, name: string, allowed: readonly T[]): T | undefined =>
  reader(input).optEnum(name, allowed);

/** A blob: base64 in the JSON protocol. */
export const optBlob = (input: Input, name: string, min: number, max: number): Buffer | undefined =>
  reader(input).optBlob(name, min, max);

export const reqBlob = (input: Input, name: string, min: number, max: number): Buffer =>
  reader(input).reqBlob(name, min, max);

/** A timestamp: epoch seconds (number) in the JSON protocol; ISO strings are accepted too. */
export const optTimestamp = (input: Input, name: string): number | undefined =>
  reader(input).optTimestamp(name);

export const optStringList = (input: Input, name: string): string[] | undefined =>
  reader(input).optStringList(name);

/** An encryption context: string-to-string map (API reference, EncryptionContextType). */
export const encryptionContext = (input: Input, name: string): Record<string, string> =>
  reader(input).optStringMap(name) ?? {};

export interface Tag {
  TagKey: string;
  TagValue: string;
}

/** Tags as CreateKey/TagResource take them; `aws:` keys are reserved (TagException). */
export const tagList = (input: Input, name: string): Tag[] => {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw validation(`${name} must be a list of {TagKey, TagValue}.`);
  return value.map((entry: unknown) => {
    const tag = entry as Partial<Tag> | null;
    if (!tag || typeof tag.TagKey !== 'string' || typeof tag.TagValue !== 'string') {
      throw validation(`Each of ${name} must have a string TagKey and TagValue.`);
    }
    if (tag.TagKey.length < 1 || tag.TagKey.length > 128) {
      throw new AwsError('TagException', `TagKey '${tag.TagKey}' must be 1 to 128 characters long.`);
    }
    if (tag.TagValue.length > 256) {
      throw new AwsError('TagException', `TagValue of '${tag.TagKey}' must be at most 256 characters long.`);
    }
    if (tag.TagKey.toLowerCase().startsWith('aws:')) {
      throw new AwsError('TagException', `TagKey '${tag.TagKey}' uses the reserved prefix aws:.`);
    }
    return { TagKey: tag.TagKey, TagValue: tag.TagValue };
  });
};

const INVALID_MARKER = {
  type: 'InvalidMarkerException',
  message: 'Marker is not one this endpoint returned; pass NextMarker as is.',
};

/** One page of `items` plus Truncated/NextMarker, as the KMS List* operations return them. */
export const page = <T>(
  items: readonly T[],
  input: Input,
  max = 1000,
): { items: T[]; Truncated: boolean; NextMarker?: string } => {
  const marker = optString(input, 'Marker', 1024);
  const limit = optInt(input, 'Limit', 1, max) ?? Math.min(100, max);
  const { items: slice, next } = pageOf(items, { token: marker, limit, invalid: INVALID_MARKER });
  return next === undefined
    ? { items: slice, Truncated: false }
    : { items: slice, Truncated: true, NextMarker: next };
};
