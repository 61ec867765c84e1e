import { AwsError } from '../../aws-error.js';
import { constraint, type Tag } from './model.js';

/** Tag rules of the local ACM (AddTagsToCertificate, RemoveTagsFromCertificate, ImportCertificate). */

/** The most tags a certificate can carry. */
export const MAX_TAGS = 50;
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Reads a tag list: 1-128 character keys, values up to 256, ACM's character set, no `aws:` keys. */
export const validateTags = (tags: unknown, field = 'Tags'): Tag[] => {
  if (!Array.isArray(tags) || tags.length < 1) {
    throw constraint(JSON.stringify(tags), field, 'Member must have length greater than or equal to 1');
  }
  return tags.map((tag, i) => {
    const key = (tag as Tag | null)?.Key;
    const value = (tag as Tag | null)?.Value;
    if (typeof key !== 'string' || key.length < 1 || key.length > 128) {
      throw constraint(key, `${field}.${i + 1}.member.key`, 'Member must have length between 1 and 128');
    }
    if (value !== undefined && (typeof value !== 'string' || value.length > 256)) {
      throw constraint(
        value,
        `${field}.${i + 1}.member.value`,
        'Member must have length less than or equal to 256',
      );
    }
    if (!TAG_PATTERN.test(key) || (value !== undefined && !TAG_PATTERN.test(value))) {
      throw new AwsError(
        'InvalidTagException',
        `Tag ${key} has characters outside [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@].`,
      );
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw new AwsError(
        'InvalidTagException',
        `Tag key ${key} is not valid: the aws: prefix is reserved for AWS use.`,
      );
    }
    return value === undefined ? { Key: key } : { Key: key, Value: value };
  });
};

/** Adds tags; a tag with an existing key replaces it. At most MAX_TAGS in all. */
export const addTags = (existing: Tag[], added: Tag[]): Tag[] => {
  const merged = [...existing];
  for (const tag of added) {
    const at = merged.findIndex((t) => t.Key === tag.Key);
    if (at >= 0) merged[at] = tag;
    else merged.push(tag);
  }
  if (merged.length > MAX_TAGS) {
    throw new AwsError(
      'TooManyTagsException',
      `A certificate can carry at most ${MAX_TAGS} tags; this request would make ${merged.length}.`,
    );
  }
  return merged;
};

/** A tag given with a value is removed only when the value matches; without one, by key. */
export const removeTags = (existing: Tag[], removed: Tag[]): Tag[] =>
  existing.filter(
    (tag) => !removed.some((r) => r.Key === tag.Key && (r.Value === undefined || r.Value === tag.Value)),
  );
