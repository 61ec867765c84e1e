/**
 * ListSecrets and BatchGetSecretValue filters, as the ListSecrets API reference and "Find secrets"
 * describe them: keys description, name, tag-key, tag-value, primary-region, owning-service and
 * all; prefix matching; a leading `!` negates; `all` matches words of names, descriptions and tags.
 */
import type { InputReader } from '../../core/input.js';
import { regionOf, type SecretRecord } from './records.js';

const FILTER_KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
];
const FILTER_VALUE = /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/;

export type SecretFilter = (secret: SecretRecord) => boolean;

/** Splits text into words at case changes, letter/digit changes and punctuation, as the console search does. */
const words = (text: string): string[] =>
  text
    .split(/[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());

const matchOne = (key: string, secret: SecretRecord, term: string): boolean => {
  switch (key) {
    case 'name':
      return secret.name.startsWith(term);
    case 'description':
      return (
        (secret.description ?? '').toLowerCase().startsWith(term.toLowerCase()) &&
        secret.description !== undefined
      );
    case 'tag-key':
      return secret.tags.some((t) => t.Key.startsWith(term));
    case 'tag-value':
      return secret.tags.some((t) => t.Value.startsWith(term));
    case 'primary-region':
      return (secret.primaryRegion ?? (secret.replicas?.length ? regionOf(secret) : undefined)) === term;
    case 'owning-service':
      // Local secrets are not owned by another service.
      return false;
    default: {
      const haystack = [
        secret.name,
        secret.description ?? '',
        ...secret.tags.flatMap((t) => [t.Key, t.Value]),
      ].flatMap(words);
      return words(term).some((w) => haystack.some((h) => h.startsWith(w)));
    }
  }
};

/** The `Filters` of a request as predicates (all must hold); none when Filters is not given. */
export const parseFilters = (input: InputReader): SecretFilter[] => {
  if (input.has('Filters') && (!Array.isArray(input.raw.Filters) || input.raw.Filters.length > 10)) {
    throw input.error('Filters must be a list of at most 10 filters.');
  }
  return (input.optObjectList('Filters', { maxItems: 10 }) ?? []).map((filter) => {
    const key = filter.raw.Key;
    if (typeof key !== 'string' || !FILTER_KEYS.includes(key)) {
      throw filter.error(`${filter.name('Key')} must be one of ${FILTER_KEYS.join(', ')}.`);
    }
    const values = filter.raw.Values;
    if (
      !Array.isArray(values) ||
      values.length < 1 ||
      values.length > 10 ||
      !values.every((v) => typeof v === 'string' && v.length <= 512 && FILTER_VALUE.test(v))
    ) {
      throw filter.error(
        `${filter.name('Values')} must be 1 to 10 strings of letters, digits, spaces and :_@/+=.-! (a leading ! negates).`,
      );
    }
    const terms = values as string[];
    const positive = terms.filter((v) => !v.startsWith('!'));
    const negative = terms.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
    return (secret: SecretRecord) =>
      (positive.length === 0 || positive.some((v) => matchOne(key, secret, v))) &&
      !negative.some((v) => matchOne(key, secret, v));
  });
};
