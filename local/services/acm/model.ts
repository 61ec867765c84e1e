import { createHash } from 'node:crypto';
import { AwsError } from '../../aws-error.js';
import type { ExtendedKeyUsageName, KeyAlgorithm } from './x509.js';

export const CERTIFICATE_STATUSES = [
  'PENDING_VALIDATION',
  'ISSUED',
  'INACTIVE',
  'EXPIRED',
  'VALIDATION_TIMED_OUT',
  'REVOKED',
  'FAILED',
] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];
export type CertificateType = 'IMPORTED' | 'AMAZON_ISSUED' | 'PRIVATE';
export const RENEWAL_STATUSES = ['PENDING_AUTO_RENEWAL', 'PENDING_VALIDATION', 'SUCCESS', 'FAILED'] as const;
export type RenewalStatus = (typeof RENEWAL_STATUSES)[number];
export const RENEWAL_ELIGIBILITIES = ['ELIGIBLE', 'INELIGIBLE'] as const;
export type RenewalEligibility = (typeof RENEWAL_ELIGIBILITIES)[number];
export const FAILURE_REASONS = [
  'NO_AVAILABLE_CONTACTS',
  'ADDITIONAL_VERIFICATION_REQUIRED',
  'DOMAIN_NOT_ALLOWED',
  'INVALID_PUBLIC_DOMAIN',
  'DOMAIN_VALIDATION_DENIED',
  'CAA_ERROR',
  'PCA_LIMIT_EXCEEDED',
  'PCA_INVALID_ARN',
  'PCA_INVALID_STATE',
  'PCA_REQUEST_FAILED',
  'PCA_NAME_CONSTRAINTS_VALIDATION',
  'PCA_RESOURCE_NOT_FOUND',
  'PCA_INVALID_ARGS',
  'PCA_INVALID_DURATION',
  'PCA_ACCESS_DENIED',
  'SLR_NOT_FOUND',
  'OTHER',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];
export type ValidationMethod = 'DNS' | 'EMAIL';

export interface Tag {
  Key: string;
  Value?: string;
}

/** One certificate as the local ACM keeps it (JSON-serialisable, so snapshots are plain data). */
export interface CertificateRecord {
  arn: string;
  type: CertificateType;
  /** Stored status; an ISSUED certificate past NotAfter is reported as EXPIRED. */
  status: CertificateStatus;
  domainName: string;
  subjectAlternativeNames: string[];
  keyAlgorithm: KeyAlgorithm;
  keyUsages: string[];
  extendedKeyUsages: { Name: ExtendedKeyUsageName; OID: string }[];
  serial: string;
  subject: string;
  issuer: string;
  signatureAlgorithm: string;
  notBefore: string;
  notAfter: string;
  createdAt: string;
  issuedAt?: string;
  importedAt?: string;
  revokedAt?: string;
  inUseBy: string[];
  /** Set only when the seed fixed it; otherwise derived from type, status and use. */
  renewalEligibility?: RenewalEligibility;
  renewal?: { status: RenewalStatus; reason?: FailureReason; updatedAt: string };
  validationMethod?: ValidationMethod;
  failureReason?: FailureReason;
  /** Absent for bulk-seeded certificates until first needed: built on demand from the fields above. */
  certificatePem?: string;
  chainPem?: string;
  /** PKCS#8 PEM. Imported keys are the caller's; seeded ones reference a shared seed key instead. */
  privateKeyPem?: string;
  certificateAuthorityArn?: string;
  exported: boolean;
  /** A public (Amazon-issued) certificate requested with `Options.Export: ENABLED` may be exported. */
  exportOption?: 'ENABLED' | 'DISABLED';
  tags: Tag[];
}

/**
 * KeyAlgorithm as ListCertificates and DescribeCertificate write it: `RSA-2048`, `EC-prime256v1`
 * (the AWS CLI's describe-certificate example and real outputs). The `Includes.keyTypes` filter
 * takes the other spelling, `RSA_2048`, which the records keep.
 */
export const awsKeyAlgorithm = (algorithm: string): string => algorithm.replace('_', '-');

/** Private certificates, and public ones requested as exportable, can be exported (ExportCertificate). */
export const exportable = (record: CertificateRecord): boolean =>
  record.type === 'PRIVATE' || (record.type === 'AMAZON_ISSUED' && record.exportOption === 'ENABLED');

export const CERTIFICATE_ARN =
  /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/([A-Za-z0-9-]{1,128})$/;

const seconds = (iso: string | undefined): number | undefined =>
  iso === undefined ? undefined : Date.parse(iso) / 1000;

/** The status AWS would report now: ACM moves ISSUED certificates to EXPIRED after NotAfter. */
export const effectiveStatus = (record: CertificateRecord, now: Date): CertificateStatus =>
  record.status === 'ISSUED' && Date.parse(record.notAfter) < now.getTime() ? 'EXPIRED' : record.status;

/**
 * ACM's rules (user guide, "Managed certificate renewal"): imported certificates are never
 * renewed; Amazon-issued ones only while in use; private ones when exported or in use, which
 * the local endpoint assumes unless a seed said otherwise.
 */
export const renewalEligibility = (record: CertificateRecord, now: Date): RenewalEligibility => {
  if (record.renewalEligibility) return record.renewalEligibility;
  if (record.type === 'IMPORTED' || effectiveStatus(record, now) !== 'ISSUED') return 'INELIGIBLE';
  if (record.type === 'AMAZON_ISSUED') return record.inUseBy.length > 0 ? 'ELIGIBLE' : 'INELIGIBLE';
  return 'ELIGIBLE';
};

const hex = (text: string, length: number): string =>
  createHash('sha256').update(text).digest('hex').slice(0, length);

/** Base domain that DNS validation records hang from (`*.example.com` validates as `example.com`). */
const validationDomain = (domain: string): string => domain.replace(/^\*\./, '');

/** DomainValidation entries as ACM reports them; records are stable per certificate and domain. */
export const domainValidations = (
  record: CertificateRecord,
  validationStatus: 'PENDING_VALIDATION' | 'SUCCESS' | 'FAILED',
): Record<string, unknown>[] =>
  record.subjectAlternativeNames.map((domain) => {
    const base = validationDomain(domain);
    const method = record.validationMethod ?? 'DNS';
    const entry: Record<string, unknown> = {
      DomainName: domain,
      ValidationDomain: base,
      ValidationStatus: validationStatus,
      ValidationMethod: method,
    };
    if (method === 'DNS') {
      entry.ResourceRecord = {
        Name: `_${hex(`${record.arn}|${base}|name`, 32)}.${base}.`,
        Type: 'CNAME',
        Value: `_${hex(`${record.arn}|${base}|value`, 32)}.${hex(base, 10)}.acm-validations.aws.`,
      };
    } else {
      entry.ValidationEmails = ['admin', 'administrator', 'hostmaster', 'postmaster', 'webmaster'].map(
        (box) => `${box}@${base}`,
      );
    }
    return entry;
  });

const issuedStatuses: ReadonlySet<CertificateStatus> = new Set(['ISSUED', 'EXPIRED', 'REVOKED', 'INACTIVE']);

/** `CertificateSummary` (ListCertificates). ACM lists at most 100 SANs per summary. */
export const summaryOf = (record: CertificateRecord, now: Date): Record<string, unknown> => {
  const status = effectiveStatus(record, now);
  const issued = issuedStatuses.has(status);
  return {
    CertificateArn: record.arn,
    DomainName: record.domainName,
    SubjectAlternativeNameSummaries: record.subjectAlternativeNames.slice(0, 100),
    HasAdditionalSubjectAlternativeNames: record.subjectAlternativeNames.length > 100,
    Status: status,
    Type: record.type,
    KeyAlgorithm: awsKeyAlgorithm(record.keyAlgorithm),
    KeyUsages: record.keyUsages,
    ExportOption: exportable(record) ? 'ENABLED' : 'DISABLED',
    ExtendedKeyUsages: record.extendedKeyUsages.map((e) => e.Name),
    InUse: record.inUseBy.length > 0,
    Exported: record.exported,
    RenewalEligibility: renewalEligibility(record, now),
    NotBefore: issued ? seconds(record.notBefore) : undefined,
    NotAfter: issued ? seconds(record.notAfter) : undefined,
    CreatedAt: seconds(record.createdAt),
    IssuedAt: seconds(record.issuedAt),
    ImportedAt: seconds(record.importedAt),
    RevokedAt: seconds(record.revokedAt),
  };
};

/** `CertificateDetail` (DescribeCertificate). */
export const detailOf = (record: CertificateRecord, now: Date): Record<string, unknown> => {
  const status = effectiveStatus(record, now);
  const issued = issuedStatuses.has(status);
  const detail: Record<string, unknown> = {
    CertificateArn: record.arn,
    DomainName: record.domainName,
    SubjectAlternativeNames: record.subjectAlternativeNames,
    Serial: issued ? record.serial : undefined,
    Subject: record.subject,
    Issuer: issued ? record.issuer : undefined,
    CreatedAt: seconds(record.createdAt),
    IssuedAt: seconds(record.issuedAt),
    ImportedAt: seconds(record.importedAt),
    RevokedAt: seconds(record.revokedAt),
    Status: status,
    NotBefore: issued ? seconds(record.notBefore) : undefined,
    NotAfter: issued ? seconds(record.notAfter) : undefined,
    KeyAlgorithm: awsKeyAlgorithm(record.keyAlgorithm),
    SignatureAlgorithm: record.signatureAlgorithm,
    InUseBy: record.inUseBy,
    FailureReason: record.failureReason,
    Type: record.type,
    KeyUsages: record.keyUsages.map((Name) => ({ Name })),
    ExtendedKeyUsages: record.extendedKeyUsages,
    CertificateAuthorityArn: record.certificateAuthorityArn,
    RenewalEligibility: renewalEligibility(record, now),
  };
  if (record.type === 'AMAZON_ISSUED') {
    detail.DomainValidationOptions = domainValidations(
      record,
      status === 'PENDING_VALIDATION' ? 'PENDING_VALIDATION' : status === 'FAILED' ? 'FAILED' : 'SUCCESS',
    );
    detail.Options = { CertificateTransparencyLoggingPreference: 'ENABLED', Export: 'DISABLED' };
  }
  if (record.renewal) {
    const perDomain =
      record.renewal.status === 'PENDING_VALIDATION'
        ? 'PENDING_VALIDATION'
        : record.renewal.status === 'FAILED'
          ? 'FAILED'
          : 'SUCCESS';
    detail.RenewalSummary = {
      RenewalStatus: record.renewal.status,
      DomainValidationOptions: domainValidations(record, perDomain),
      RenewalStatusReason: record.renewal.reason,
      UpdatedAt: seconds(record.renewal.updatedAt),
    };
  }
  return detail;
};

/**
 * An AWS-style constraint message, e.g. for `MaxItems` out of range. ACM answers bad input in
 * this form ("1 validation error detected: Value ... at 'field' failed to satisfy constraint:
 * ..."), which is what callers of the real service see, so the ACM operations keep it for
 * lengths, ranges and enums instead of the messages of `local/core/input.ts`.
 */
export const constraint = (value: unknown, field: string, rule: string): AwsError =>
  new AwsError(
    'ValidationException',
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${rule}`,
  );

export const requireEnum = <T extends string>(value: unknown, allowed: readonly T[], field: string): T => {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw constraint(value, field, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return value as T;
};
