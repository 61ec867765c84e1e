import { AwsError } from '../../aws-error.js';

/** Reading the JSON input of a KMS operation, with errors that name the field and the fix. */

export const validation = (message: string): AwsError => new AwsError('ValidationException', message);

export type Input = Record<string, unknown>;

export const optString = (input: Input, name: string, max = 2048): string | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validation(`${name} must be a string.`);
  if (value.length > max) throw validation(`${name} must be at most ${max} characters long.`);
  return value;
};

export const reqString = (input: Input, name: string, max = 2048): string => {
  const value = optString(input, name, max);
  if (value === undefined || value === '') throw validation(`${name} is required.`);
  return value;
};

export const optBool = (input: Input, name: string): boolean | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw validation(`${name} must be true or false.`);
  return value;
};

export const optInt = (input: Input, name: string, min: number, max: number): number | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw validation(`${name} must be an integer from ${min} to ${max}.`);
  }
  return value;
};

export const optEnum = <T extends string>(
  input: Input,
  name: string,
  allowed: readonly T[],
): T | undefined => {
  const value = optString(input, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw validation(`${name} '${value}' is not valid; use one of: ${allowed.join(', ')}.`);
  }
  return value as T;
};

/** A blob: base64 in the JSON protocol. */
export const optBlob = (input: Input, name: string, min: number, max: number): Buffer | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw validation(`${name} must be base64-encoded bytes.`);
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < min || bytes.length > max) {
    throw validation(`${name} must be ${min} to ${max} bytes long (got ${bytes.length}).`);
  }
  return bytes;
};

export const reqBlob = (input: Input, name: string, min: number, max: number): Buffer => {
  const value = optBlob(input, name, min, max);
  if (value === undefined) throw validation(`${name} is required.`);
  return value;
};

/** A timestamp: epoch seconds (number) in the JSON protocol; ISO strings are accepted too. */
export const optTimestamp = (input: Input, name: string): number | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  const ms =
    typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw validation(`${name} must be a timestamp (epoch seconds).`);
  return ms;
};

export const optStringList = (input: Input, name: string): string[] | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw validation(`${name} must be a list of strings.`);
  }
  return value as string[];
};

/** An encryption context: string-to-string map (API reference, EncryptionContextType). */
export const encryptionContext = (input: Input, name: string): Record<string, string> => {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw validation(`${name} must be a map of string keys to string values.`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw validation(`${name} value for '${k}' must be a string.`);
    out[k] = v;
  }
  return out;
};

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

/** Pagination marker: an opaque offset, as AWS markers are opaque. */
export const pageStart = (input: Input): number => {
  const marker = optString(input, 'Marker', 1024);
  if (marker === undefined) return 0;
  const offset = Number(Buffer.from(marker, 'base64url').toString('utf8').replace(/^o:/, ''));
  if (!/^o:\d+$/.test(Buffer.from(marker, 'base64url').toString('utf8')) || !Number.isInteger(offset)) {
    throw new AwsError(
      'InvalidMarkerException',
      'Marker is not one this endpoint returned; pass NextMarker as is.',
    );
  }
  return offset;
};

/** One page of `items` plus Truncated/NextMarker, as the KMS List* operations return them. */
export const page = <T>(
  items: T[],
  input: Input,
  max = 1000,
): { items: T[]; Truncated: boolean; NextMarker?: string } => {
  const start = pageStart(input);
  const limit = optInt(input, 'Limit', 1, max) ?? Math.min(100, max);
  const slice = items.slice(start, start + limit);
  const next = start + limit;
  if (next < items.length) {
    return { items: slice, Truncated: true, NextMarker: Buffer.from(`o:${next}`).toString('base64url') };
  }
  return { items: slice, Truncated: false };
};
