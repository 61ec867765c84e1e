import { type Filter, ListSecretsCommand, type SecretListEntry } from '@aws-sdk/client-secrets-manager';
import type { FleetClients } from './clients.js';
import { throttleAware } from './errors.js';
import type { FleetFilter, SecretSnapshot } from './types.js';

/** Characters a ListSecrets filter value may hold; a leading `!` would negate it. */
const FILTER_VALUE = /^[a-zA-Z0-9 :_@/+=.-]+$/;

/**
 * The ListSecrets filters that narrow the listing server-side. AWS filters match by prefix
 * and `tag-key`/`tag-value` independently (any key, any value), so they only narrow; the exact
 * match happens in `matches`. A value ListSecrets cannot express is filtered client-side only.
 */
export const serverFilters = (filter: FleetFilter): Filter[] => {
  const out: Filter[] = [];
  const add = (key: 'tag-key' | 'tag-value' | 'name', value: string) => {
    if (FILTER_VALUE.test(value)) out.push({ Key: key, Values: [value] });
  };
  if (filter.tag) {
    add('tag-key', filter.tag.key);
    if (filter.tag.value !== '') add('tag-value', filter.tag.value);
  }
  if (filter.namePrefix !== undefined) add('name', filter.namePrefix);
  return out;
};

/** Whether a listed secret matches the filter exactly (tag key and value on the same tag; name prefix). */
export const matches = (entry: SecretListEntry, filter: FleetFilter): boolean => {
  if (filter.tag) {
    const { key, value } = filter.tag;
    if (!(entry.Tags ?? []).some((t) => t.Key === key && (t.Value ?? '') === value)) return false;
  }
  if (filter.namePrefix !== undefined && !(entry.Name ?? '').startsWith(filter.namePrefix)) return false;
  return true;
};

const iso = (date: Date | undefined): string | undefined => (date ? date.toISOString() : undefined);

/** The fields the assessment needs, dates as ISO strings, without tags or anything else. */
export const snapshotOf = (entry: SecretListEntry): SecretSnapshot => {
  const snapshot: SecretSnapshot = {
    arn: entry.ARN ?? '',
    name: entry.Name ?? '',
    rotationEnabled: entry.RotationEnabled === true,
    versionStages: Object.fromEntries(
      Object.entries(entry.SecretVersionsToStages ?? {}).map(([id, stages]) => [id, [...stages]]),
    ),
  };
  if (entry.RotationLambdaARN) snapshot.rotationLambdaArn = entry.RotationLambdaARN;
  if (entry.RotationRules) {
    const { AutomaticallyAfterDays, Duration, ScheduleExpression } = entry.RotationRules;
    snapshot.rotationRules = {
      ...(AutomaticallyAfterDays === undefined ? {} : { AutomaticallyAfterDays }),
      ...(Duration === undefined ? {} : { Duration }),
      ...(ScheduleExpression === undefined ? {} : { ScheduleExpression }),
    };
  }
  const lastRotated = iso(entry.LastRotatedDate);
  const next = iso(entry.NextRotationDate);
  const changed = iso(entry.LastChangedDate);
  if (lastRotated) snapshot.lastRotatedDate = lastRotated;
  if (next) snapshot.nextRotationDate = next;
  if (changed) snapshot.lastChangedDate = changed;
  return snapshot;
};

export interface ListResult {
  secrets: SecretSnapshot[];
  /** More secrets matched than `maxSecrets`. */
  truncated: boolean;
}

/**
 * Lists the secrets matching `filter`, page by page (100 per page, the ListSecrets maximum,
 * narrowed server-side by `serverFilters`), stopping after `maxSecrets` (default: all). Only the
 * few fields of `SecretSnapshot` are kept, so 10,000 secrets take a few MB of the function's memory. Secrets scheduled for deletion are not listed (ListSecrets
 * leaves them out unless IncludePlannedDeletion is set), so the fleet never rotates one.
 */
export const listSecrets = async (
  clients: FleetClients,
  filter: FleetFilter,
  maxSecrets = Number.POSITIVE_INFINITY,
): Promise<ListResult> => {
  const filters = serverFilters(filter);
  const secrets: SecretSnapshot[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await throttleAware('ListSecrets', () =>
      clients.secrets.send(
        new ListSecretsCommand({
          MaxResults: 100,
          SortOrder: 'asc',
          ...(filters.length ? { Filters: filters } : {}),
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    for (const entry of page.SecretList ?? []) {
      if (!entry.ARN || !matches(entry, filter)) continue;
      if (secrets.length === maxSecrets) return { secrets, truncated: true };
      secrets.push(snapshotOf(entry));
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return { secrets, truncated: false };
};
