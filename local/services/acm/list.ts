import { AwsError } from '../../aws-error.js';
import { InputReader } from '../../core/input.js';
import { fingerprint, pageOf } from '../../core/paging.js';
import type { RequestContext } from '../../types.js';
import {
  CERTIFICATE_STATUSES,
  constraint,
  effectiveStatus,
  exportable,
  requireEnum,
  summaryOf,
} from './model.js';
import type { AcmModel } from './store.js';
import { EXTENDED_KEY_USAGE_OIDS, KEY_ALGORITHMS, KEY_USAGE_BITS, type KeyAlgorithm } from './x509.js';

/** ListCertificates: its filters (`CertificateStatuses`, `Includes`), sorting and NextToken paging. */

/** ACM lists RSA_1024 and RSA_2048 certificates unless `Includes.keyTypes` says otherwise (API reference, Filters). */
const DEFAULT_KEY_TYPES: readonly KeyAlgorithm[] = ['RSA_1024', 'RSA_2048'];
const KEY_USAGE_FILTERS = [...KEY_USAGE_BITS, 'ANY', 'CUSTOM'] as const;
const EXTENDED_KEY_USAGE_FILTERS = [...Object.keys(EXTENDED_KEY_USAGE_OIDS), 'NONE', 'CUSTOM'] as const;

export const listCertificates = (model: AcmModel, input: Record<string, unknown>, ctx: RequestContext) => {
  const statuses = new InputReader(input)
    .optStringList('CertificateStatuses')
    ?.map((s, i) => requireEnum(s, CERTIFICATE_STATUSES, `certificateStatuses.${i + 1}.member`));
  const includes = (input.Includes ?? {}) as Record<string, unknown>;
  if (typeof includes !== 'object' || Array.isArray(includes)) {
    throw new AwsError('ValidationException', 'Includes must be a Filters object.');
  }
  const filters = new InputReader(includes, 'ValidationException', 'Includes.');
  const keyTypes =
    filters
      .optStringList('keyTypes')
      ?.map((k, i) => requireEnum(k, KEY_ALGORITHMS, `includes.keyTypes.${i + 1}.member`)) ??
    DEFAULT_KEY_TYPES;
  const keyUsage = filters
    .optStringList('keyUsage')
    ?.map((k, i) => requireEnum(k, KEY_USAGE_FILTERS, `includes.keyUsage.${i + 1}.member`));
  const extendedKeyUsage = filters
    .optStringList('extendedKeyUsage')
    ?.map((k, i) => requireEnum(k, EXTENDED_KEY_USAGE_FILTERS, `includes.extendedKeyUsage.${i + 1}.member`));
  const exportOption =
    includes.exportOption === undefined
      ? undefined
      : requireEnum(includes.exportOption, ['ENABLED', 'DISABLED'], 'includes.exportOption');
  const managedBy =
    includes.managedBy === undefined
      ? undefined
      : requireEnum(includes.managedBy, ['CLOUDFRONT'], 'includes.managedBy');
  const maxItems = input.MaxItems ?? 1000;
  if (typeof maxItems !== 'number' || !Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
    throw constraint(maxItems, 'maxItems', 'Member must have value between 1 and 1000');
  }
  const sortBy = input.SortBy === undefined ? undefined : requireEnum(input.SortBy, ['CREATED_AT'], 'sortBy');
  const sortOrder =
    input.SortOrder === undefined
      ? undefined
      : requireEnum(input.SortOrder, ['ASCENDING', 'DESCENDING'], 'sortOrder');
  if (sortBy && !sortOrder) {
    throw new AwsError(
      'ValidationException',
      'SortOrder is required when SortBy is given (ASCENDING or DESCENDING).',
    );
  }
  const now = ctx.now;
  let matching = [...model.region(ctx).certificates.values()].filter((record) => {
    if (!keyTypes.includes(record.keyAlgorithm)) return false;
    if (statuses && !statuses.includes(effectiveStatus(record, now))) return false;
    if (keyUsage && !keyUsage.includes('ANY')) {
      const custom = keyUsage.includes('CUSTOM');
      if (!record.keyUsages.some((u) => keyUsage.includes(u as never)) && !custom) return false;
    }
    if (extendedKeyUsage && !extendedKeyUsage.includes('ANY')) {
      const names = record.extendedKeyUsages.map((e) => e.Name as string);
      const none = extendedKeyUsage.includes('NONE') && names.length === 0;
      if (!none && !names.some((n) => extendedKeyUsage.includes(n as never))) return false;
    }
    if (exportOption && (exportOption === 'ENABLED') !== exportable(record)) return false;
    if (managedBy) return false;
    return true;
  });
  if (sortBy) {
    const direction = sortOrder === 'DESCENDING' ? -1 : 1;
    matching = matching.sort((a, b) => direction * (Date.parse(a.createdAt) - Date.parse(b.createdAt)));
  }
  // The token is bound to the query, so a token cannot be replayed against a different filter by mistake.
  const { items, next } = pageOf(matching, {
    token: input.NextToken,
    limit: maxItems,
    binding: fingerprint([
      statuses,
      keyTypes,
      keyUsage,
      extendedKeyUsage,
      exportOption,
      managedBy,
      sortBy,
      sortOrder,
    ]),
    invalid: {
      type: 'InvalidArgsException',
      message:
        'NextToken is not valid for this request; pass the NextToken of the previous response unchanged, with the same filters.',
    },
  });
  return { CertificateSummaryList: items.map((record) => summaryOf(record, now)), NextToken: next };
};
