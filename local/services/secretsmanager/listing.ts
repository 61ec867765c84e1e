/** ListSecrets, ListSecretVersionIds and BatchGetSecretValue: filtered, sorted, paged with the shared codec. */
import { AwsError, invalidRequest } from '../../aws-error.js';
import type { InputReader } from '../../core/input.js';
import { fingerprint, pageOf } from '../../core/paging.js';
import type { RequestContext } from '../../types.js';
import { anySecret, type Operation, type Service } from './context.js';
import { parseFilters } from './filters.js';
import { MARKED_FOR_DELETION } from './model.js';
import { CURRENT, compact, type SecretRecord } from './records.js';
import { hasValue, holderOf, stagesMap } from './versions.js';
import { describe, readValue, seconds } from './views.js';

const MAX_BATCH_IDS = 20;
const INVALID_TOKEN = {
  type: 'InvalidNextTokenException',
  message:
    'The NextToken value is invalid: pass the NextToken of the previous response, with the same parameters.',
};

const SORT_KEYS: Record<string, (s: SecretRecord) => number | string> = {
  'created-date': (s) => s.createdMs,
  'last-accessed-date': (s) => s.lastAccessedMs ?? 0,
  'last-changed-date': (s) => s.lastChangedMs,
  name: (s) => s.name,
};

const byName = (a: SecretRecord, b: SecretRecord) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The live secrets of the caller's scope that pass the request's Filters. */
const filtered = (service: Service, ctx: RequestContext, input: InputReader, includeDeleted: boolean) => {
  const filters = parseFilters(input);
  return [...service.model.scope(ctx.accountId, ctx.region, ctx.now.getTime()).values()].filter(
    (s) => (includeDeleted || s.deletedMs === undefined) && filters.every((f) => f(s)),
  );
};

/** A secret's AWSCURRENT value as GetSecretValue returns it; undefined when it has none. */
const currentValueOf = (secret: SecretRecord, ctx: RequestContext) => {
  const version = holderOf(secret, CURRENT);
  return version && hasValue(version) ? readValue(secret, version, ctx) : undefined;
};

export const listingOperations: Record<string, Operation> = {
  ListSecrets(input, ctx, service) {
    const includeDeleted = input.optBool('IncludePlannedDeletion') ?? false;
    const maxResults = input.optInt('MaxResults', 1, 100) ?? 100;
    const sortOrder = input.optString('SortOrder') ?? 'asc';
    if (sortOrder !== 'asc' && sortOrder !== 'desc') throw input.error('SortOrder must be asc or desc.');
    const sortBy = input.optString('SortBy') ?? 'created-date';
    const sortKey = SORT_KEYS[sortBy];
    if (!sortKey) throw input.error(`SortBy must be one of ${Object.keys(SORT_KEYS).join(', ')}.`);
    const matching = filtered(service, ctx, input, includeDeleted).sort((a, b) => {
      const ka = sortKey(a);
      const kb = sortKey(b);
      const order = ka < kb ? -1 : ka > kb ? 1 : byName(a, b);
      return sortOrder === 'asc' ? order : -order;
    });
    const page = pageOf(matching, {
      token: input.raw.NextToken,
      limit: maxResults,
      invalid: INVALID_TOKEN,
      binding: fingerprint([includeDeleted, sortOrder, sortBy, input.raw.Filters ?? null]),
    });
    return compact({
      SecretList: page.items.map((s) => ({ ...describe(s), SecretVersionsToStages: stagesMap(s) })),
      NextToken: page.next,
    });
  },

  ListSecretVersionIds(input, ctx, service) {
    const secret = anySecret(service, ctx, input);
    const includeDeprecated = input.optBool('IncludeDeprecated') ?? false;
    const maxResults = input.optInt('MaxResults', 1, 100) ?? 100;
    const versions = secret.versions.filter((v) => includeDeprecated || v.stages.length > 0);
    const page = pageOf(versions, {
      token: input.raw.NextToken,
      limit: maxResults,
      invalid: INVALID_TOKEN,
      binding: fingerprint([secret.arn, includeDeprecated]),
    });
    return compact({
      ARN: secret.arn,
      Name: secret.name,
      Versions: page.items.map((v) =>
        compact({
          VersionId: v.versionId,
          VersionStages: [...v.stages],
          LastAccessedDate: seconds(v.lastAccessedMs),
          CreatedDate: seconds(v.createdMs),
        }),
      ),
      NextToken: page.next,
    });
  },

  BatchGetSecretValue(input, ctx, service) {
    const ids = input.raw.SecretIdList;
    const hasFilters = input.has('Filters');
    if (input.has('SecretIdList') === hasFilters) {
      throw input.error('Specify either SecretIdList or Filters, not both (and not neither).');
    }
    if (hasFilters) {
      // As ListSecrets with the same filters, then each secret's AWSCURRENT value.
      const maxResults = input.optInt('MaxResults', 1, MAX_BATCH_IDS) ?? MAX_BATCH_IDS;
      const matching = filtered(service, ctx, input, false).sort(
        (a, b) => a.createdMs - b.createdMs || (a.name < b.name ? -1 : 1),
      );
      const page = pageOf(matching, {
        token: input.raw.NextToken,
        limit: maxResults,
        invalid: INVALID_TOKEN,
        binding: fingerprint(['batch', input.raw.Filters]),
      });
      return compact({
        SecretValues: page.items.map((s) => currentValueOf(s, ctx)).filter((v) => v !== undefined),
        Errors: [],
        NextToken: page.next,
      });
    }
    if (input.has('MaxResults') || input.has('NextToken')) {
      throw input.error(
        'MaxResults and NextToken apply only with Filters; SecretIdList is answered at once.',
      );
    }
    if (
      !Array.isArray(ids) ||
      ids.length < 1 ||
      ids.length > MAX_BATCH_IDS ||
      !ids.every((id) => typeof id === 'string' && id.length >= 1 && id.length <= 2048)
    ) {
      throw input.error(`SecretIdList must list 1 to ${MAX_BATCH_IDS} secret names or ARNs.`);
    }
    const values: unknown[] = [];
    const errors: unknown[] = [];
    for (const id of ids as string[]) {
      try {
        const secret = service.model.find(ctx.accountId, ctx.region, id, ctx.now.getTime());
        if (secret.deletedMs !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
        const value = currentValueOf(secret, ctx);
        if (!value) {
          throw new AwsError(
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
          );
        }
        values.push(value);
      } catch (error) {
        if (!(error instanceof AwsError)) throw error;
        errors.push({ SecretId: id, ErrorCode: error.type, Message: error.message });
      }
    }
    return { SecretValues: values, Errors: errors };
  },
};
