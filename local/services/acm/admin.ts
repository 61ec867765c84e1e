import { AwsError } from '../../aws-error.js';
import { InputReader } from '../../core/input.js';
import type { LocalService, RequestContext } from '../../types.js';
import { familyOf } from './authority.js';
import type { CallCounter, OperationLimiter } from './limits.js';
import {
  CERTIFICATE_STATUSES,
  type CertificateRecord,
  type CertificateStatus,
  FAILURE_REASONS,
  type FailureReason,
  RENEWAL_ELIGIBILITIES,
  RENEWAL_STATUSES,
  requireEnum,
} from './model.js';
import { iso, newSerial, wholeSeconds } from './renewal.js';
import { type AcmModel, certificateArn } from './store.js';
import { addTags, validateTags } from './tags.js';
import { EXTENDED_KEY_USAGE_OIDS, type ExtendedKeyUsageName, KEY_ALGORITHMS } from './x509.js';

/**
 * The admin routes of the local ACM, outside the AWS API surface: seeding Amazon-issued and
 * private certificates (backed by real certificates from local CAs), changing their state, and
 * request-rate emulation. The routes are listed in `index.ts`.
 */

const DAY_MS = 24 * 3600 * 1000;

const SEED_KEYS = new Set([
  'type',
  'domainName',
  'subjectAlternativeNames',
  'keyAlgorithm',
  'notBefore',
  'notAfter',
  'inUseBy',
  'renewalEligibility',
  'renewalStatus',
  'renewalStatusReason',
  'validationMethod',
  'status',
  'failureReason',
  'exported',
  'export',
  'tags',
]);

const optionalDate = (value: unknown, field: string): Date | undefined => {
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new AwsError(
      'ValidationException',
      `${field} must be an ISO 8601 date-time string, e.g. 2030-01-31T00:00:00Z.`,
    );
  }
  return date;
};

const rejectUnknown = (body: Record<string, unknown>, allowed: ReadonlySet<string>, route: string) => {
  const unknown = Object.keys(body).filter((k) => !allowed.has(k));
  if (unknown.length > 0) {
    throw new AwsError(
      'ValidationException',
      `Unknown field(s) ${unknown.join(', ')} for ${route}; allowed: ${[...allowed].join(', ')}.`,
    );
  }
};

/** Creates one Amazon-issued or private certificate from an admin seed body. */
export const seed = (
  model: AcmModel,
  body: Record<string, unknown>,
  ctx: RequestContext,
  eager: boolean,
  n?: number,
): CertificateRecord => {
  rejectUnknown(body, SEED_KEYS, 'seed');
  const type = requireEnum(body.type, ['AMAZON_ISSUED', 'PRIVATE'] as const, 'type');
  if (typeof body.domainName !== 'string' || body.domainName.length === 0) {
    throw new AwsError(
      'ValidationException',
      'domainName is required (e.g. "www.example.com"; bulk-seed replaces {n}).',
    );
  }
  const domainName = body.domainName.replaceAll('{n}', String(n ?? 0));
  const sans = (new InputReader(body).optStringList('subjectAlternativeNames') ?? []).map((s) =>
    s.replaceAll('{n}', String(n ?? 0)),
  );
  const keyAlgorithm =
    body.keyAlgorithm === undefined
      ? 'RSA_2048'
      : requireEnum(body.keyAlgorithm, KEY_ALGORITHMS, 'keyAlgorithm');
  const requestedNotAfter = optionalDate(body.notAfter, 'notAfter');
  if (!requestedNotAfter) {
    throw new AwsError('ValidationException', 'notAfter is required (ISO 8601, e.g. 2030-01-31T00:00:00Z).');
  }
  const notAfter = wholeSeconds(requestedNotAfter);
  const notBefore = wholeSeconds(
    optionalDate(body.notBefore, 'notBefore') ?? new Date(notAfter.getTime() - 395 * DAY_MS),
  );
  if (notBefore >= notAfter)
    throw new AwsError('ValidationException', 'notBefore must be earlier than notAfter.');
  const inUseBy = new InputReader(body).optStringList('inUseBy') ?? [];
  const status =
    body.status === undefined
      ? ('ISSUED' as CertificateStatus)
      : requireEnum(body.status, CERTIFICATE_STATUSES, 'status');
  const now = iso(ctx.now);
  const family = familyOf(keyAlgorithm);
  const authority =
    type === 'PRIVATE' ? model.privateCa(ctx, family, ctx.now) : model.amazonCa(family, ctx.now);
  const record: CertificateRecord = {
    arn: certificateArn(ctx),
    type,
    status,
    domainName,
    subjectAlternativeNames: [domainName, ...sans.filter((s) => s !== domainName)],
    keyAlgorithm,
    keyUsages: family === 'RSA' ? ['DIGITAL_SIGNATURE', 'KEY_ENCIPHERMENT'] : ['DIGITAL_SIGNATURE'],
    extendedKeyUsages: [
      { Name: 'TLS_WEB_SERVER_AUTHENTICATION', OID: EXTENDED_KEY_USAGE_OIDS.TLS_WEB_SERVER_AUTHENTICATION },
      { Name: 'TLS_WEB_CLIENT_AUTHENTICATION', OID: EXTENDED_KEY_USAGE_OIDS.TLS_WEB_CLIENT_AUTHENTICATION },
    ] as { Name: ExtendedKeyUsageName; OID: string }[],
    serial: newSerial(),
    subject: `CN=${domainName}`,
    issuer: [
      ...[`CN=${authority.subject.commonName}`],
      ...(authority.subject.organization ? [`O=${authority.subject.organization}`] : []),
      ...(authority.subject.country ? [`C=${authority.subject.country}`] : []),
    ].join(','),
    signatureAlgorithm: family === 'RSA' ? 'SHA256WITHRSA' : 'SHA256WITHECDSA',
    notBefore: iso(notBefore),
    notAfter: iso(notAfter),
    createdAt: iso(notBefore),
    inUseBy,
    exported: body.exported === true,
    ...(body.export === undefined
      ? {}
      : { exportOption: requireEnum(body.export, ['ENABLED', 'DISABLED'] as const, 'export') }),
    tags: body.tags === undefined ? [] : addTags([], validateTags(body.tags, 'tags')),
  };
  if (status !== 'PENDING_VALIDATION' && status !== 'FAILED' && status !== 'VALIDATION_TIMED_OUT') {
    record.issuedAt = iso(notBefore);
  }
  if (type === 'PRIVATE') record.certificateAuthorityArn = authority.arn;
  if (type === 'AMAZON_ISSUED') {
    record.validationMethod =
      body.validationMethod === undefined
        ? 'DNS'
        : requireEnum(body.validationMethod, ['DNS', 'EMAIL'] as const, 'validationMethod');
  }
  if (body.renewalEligibility !== undefined) {
    record.renewalEligibility = requireEnum(
      body.renewalEligibility,
      RENEWAL_ELIGIBILITIES,
      'renewalEligibility',
    );
  }
  if (body.failureReason !== undefined)
    record.failureReason = requireEnum(body.failureReason, FAILURE_REASONS, 'failureReason');
  if (body.renewalStatus !== undefined) {
    record.renewal = {
      status: requireEnum(body.renewalStatus, RENEWAL_STATUSES, 'renewalStatus'),
      updatedAt: now,
    };
    if (body.renewalStatusReason !== undefined) {
      record.renewal.reason = requireEnum(
        body.renewalStatusReason,
        FAILURE_REASONS,
        'renewalStatusReason',
      ) as FailureReason;
    }
  } else if (body.renewalStatusReason !== undefined) {
    throw new AwsError('ValidationException', 'renewalStatusReason needs renewalStatus (usually FAILED).');
  }
  if (eager) model.materialize(ctx, record, ctx.now);
  model.add(ctx, record);
  return record;
};

const SET_STATE_KEYS = new Set([
  'CertificateArn',
  'inUseBy',
  'renewalEligibility',
  'renewalStatus',
  'renewalStatusReason',
  'status',
  'failureReason',
  'exported',
]);

/** The admin routes (see `index.ts`); `operations` names the operations `throttle` may limit. */
export const adminRoutes = (
  model: AcmModel,
  limiter: OperationLimiter,
  counter: CallCounter,
  operations: readonly string[],
): NonNullable<LocalService['admin']> => ({
  seed: async (body, ctx) => ({ CertificateArn: seed(model, body, ctx, true).arn }),
  'bulk-seed': async (body, ctx) => {
    const { count, ...template } = body;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 20000) {
      throw new AwsError('ValidationException', 'count must be an integer between 1 and 20000.');
    }
    const arns: string[] = [];
    for (let n = 1; n <= count; n += 1) arns.push(seed(model, template, ctx, false, n).arn);
    return { CertificateArns: arns };
  },
  'set-state': async (body, ctx) => {
    rejectUnknown(body, SET_STATE_KEYS, 'set-state');
    const record = model.find(ctx, body.CertificateArn);
    if (body.inUseBy !== undefined) record.inUseBy = new InputReader(body).optStringList('inUseBy') ?? [];
    if (body.exported !== undefined) record.exported = body.exported === true;
    if (body.status !== undefined) record.status = requireEnum(body.status, CERTIFICATE_STATUSES, 'status');
    if (body.failureReason !== undefined)
      record.failureReason = requireEnum(body.failureReason, FAILURE_REASONS, 'failureReason');
    if (body.renewalEligibility !== undefined) {
      record.renewalEligibility =
        body.renewalEligibility === null
          ? undefined
          : requireEnum(body.renewalEligibility, RENEWAL_ELIGIBILITIES, 'renewalEligibility');
    }
    if (body.renewalStatus === null) delete record.renewal;
    else if (body.renewalStatus !== undefined || body.renewalStatusReason !== undefined) {
      const status =
        body.renewalStatus === undefined
          ? record.renewal?.status
          : requireEnum(body.renewalStatus, RENEWAL_STATUSES, 'renewalStatus');
      if (!status)
        throw new AwsError(
          'ValidationException',
          'renewalStatusReason needs renewalStatus (usually FAILED).',
        );
      record.renewal = { status, updatedAt: iso(ctx.now) };
      if (body.renewalStatusReason !== undefined && body.renewalStatusReason !== null) {
        record.renewal.reason = requireEnum(body.renewalStatusReason, FAILURE_REASONS, 'renewalStatusReason');
      }
    }
    return { CertificateArn: record.arn };
  },
  throttle: async (body) => {
    const operation = body.operation;
    if (typeof operation !== 'string' || !operations.includes(operation)) {
      throw new AwsError('ValidationException', `operation must be one of ${operations.join(', ')}.`);
    }
    const perSecond = body.perSecond;
    if (perSecond !== null && perSecond !== undefined && (typeof perSecond !== 'number' || perSecond < 0)) {
      throw new AwsError(
        'ValidationException',
        'perSecond must be a positive number (or 0/null to turn throttling off).',
      );
    }
    limiter.configure(operation, typeof perSecond === 'number' ? perSecond : undefined);
    return { Limits: limiter.limits() };
  },
  calls: async (body) => {
    const report = counter.report();
    if (body.reset === true) counter.reset();
    return report;
  },
});
