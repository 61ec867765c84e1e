/**
 * Turns a DescribeCertificate result into a finding: why the certificate needs attention, what to
 * do about it, and what breaks if nobody does. Pure: no AWS calls, no clock of its own.
 */
import type { CertificateDetail, DomainValidation } from '@aws-sdk/client-acm';
import { InvalidInputError } from './errors.js';
import type { DnsRecord, Finding, FindingClass } from './schema.js';
import { crossedThreshold, daysToExpiry } from './thresholds.js';

/**
 * A finding before the automation acted on it: every {@link Finding} field except the envelope
 * (schema version, trigger, time observed) and the renewal outcome. Derived from `Finding` so the
 * published event and the triage cannot drift apart.
 */
export type Triage = Omit<
  Finding,
  | 'schemaVersion'
  | 'renewalAttempted'
  | 'renewalResult'
  | 'renewalMessage'
  | 'renewedNotAfter'
  | 'trigger'
  | 'observedAt'
>;

const ARN = /^arn:[a-z-]+:acm:([a-z0-9-]+):(\d{12}):certificate\/.+$/;

/** Region and account of an ACM certificate ARN. */
export const parseCertificateArn = (
  arn: string,
  field = 'CertificateArn',
): { region: string; account: string } => {
  const match = ARN.exec(arn);
  if (!match?.[1] || !match[2]) {
    throw new InvalidInputError(
      `${field} must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID); got ${JSON.stringify(arn)}.`,
    );
  }
  return { region: match[1], account: match[2] };
};

/** The DNS records ACM still needs (or, when every domain validated, all of them to re-check). */
export const dnsRecordsOf = (options: readonly DomainValidation[] | undefined): DnsRecord[] => {
  const withRecords = (options ?? []).filter((o) => o.ResourceRecord?.Name && o.ResourceRecord.Value);
  const unvalidated = withRecords.filter((o) => o.ValidationStatus !== 'SUCCESS');
  return (unvalidated.length > 0 ? unvalidated : withRecords).map((o) => ({
    domainName: o.DomainName ?? '',
    name: o.ResourceRecord?.Name ?? '',
    type: o.ResourceRecord?.Type ?? 'CNAME',
    value: o.ResourceRecord?.Value ?? '',
    validationStatus: o.ValidationStatus ?? null,
  }));
};

/** "In use by ARN, ARN and 2 more" or "It is not attached to any AWS resource" (no final stop). */
export const describeUse = (inUseBy: readonly string[]): string => {
  if (inUseBy.length === 0) return 'It is not attached to any AWS resource';
  const shown = inUseBy.slice(0, 3).join(', ');
  const more = inUseBy.length > 3 ? ` and ${inUseBy.length - 3} more` : '';
  return `In use by ${shown}${more}`;
};

/**
 * Classifies a certificate that needs attention. The first matching class wins, most urgent first:
 * expired, imported, not eligible for managed renewal, private (renewable now), renewal failed,
 * renewal pending validation, managed renewal still pending.
 *
 * @param detail - DescribeCertificate's `Certificate`.
 * @param now - The time to measure expiry against.
 * @param thresholds - Alert thresholds in days (see thresholds.ts).
 */
export const triage = (detail: CertificateDetail, now: Date, thresholds: readonly number[]): Triage => {
  const arn = detail.CertificateArn ?? '';
  const { region, account } = parseCertificateArn(arn);
  const notAfter = detail.NotAfter ?? null;
  const days = notAfter ? daysToExpiry(notAfter, now) : null;
  const threshold = notAfter ? crossedThreshold(notAfter, now, thresholds) : null;
  const inUseBy = detail.InUseBy ?? [];
  const use = describeUse(inUseBy);
  const type = detail.Type ?? 'UNKNOWN';
  const renewal = detail.RenewalSummary;
  const expired = detail.Status === 'EXPIRED' || (notAfter !== null && notAfter.getTime() <= now.getTime());
  const when = notAfter ? notAfter.toISOString() : 'its expiry';
  const dnsRecords = type === 'AMAZON_ISSUED' ? dnsRecordsOf(renewal?.DomainValidationOptions) : [];

  let findingClass: FindingClass;
  let action: string;
  if (expired) {
    findingClass = 'EXPIRED';
    const since = days !== null ? ` ${Math.max(0, -days)} day(s) ago` : '';
    action =
      type === 'IMPORTED'
        ? `Expired${since}. ${use}, which now fails TLS handshakes: reissue it at its CA and re-import it under the same ARN.`
        : `Expired${since}. ${use}, which now fails TLS handshakes: request a new certificate, attach it in place of this one, then delete this one.`;
  } else if (type === 'IMPORTED') {
    findingClass = 'IMPORTED';
    action = `ACM never renews imported certificates: reissue it at its CA and re-import it under the same ARN before ${when} (or tag it rekey:source-secret=<secret ARN> so rekey re-imports it). ${use}.`;
  } else if (detail.RenewalEligibility === 'INELIGIBLE') {
    findingClass = 'NOT_ELIGIBLE';
    action =
      inUseBy.length === 0
        ? `ACM will not renew it because it is not in use: attach it to the resource that should serve it, or request a new certificate before ${when}. ${use}.`
        : `ACM reports it ineligible for managed renewal: request a new certificate and replace it before ${when}. ${use}.`;
  } else if (type === 'PRIVATE') {
    findingClass = 'PRIVATE_RENEWAL';
    action = `Private certificate: renew it now with RenewCertificate, then redeploy it wherever it was exported, before ${when}. ${use}.`;
  } else if (renewal?.RenewalStatus === 'FAILED') {
    findingClass = 'RENEWAL_FAILED';
    const reason = renewal.RenewalStatusReason ?? 'no reason given';
    action = `ACM's managed renewal failed (${reason}): fix the cause${dnsRecords.length > 0 ? ' and make sure the DNS validation records listed exist' : ''}, before ${when}. ${use}.`;
  } else if (renewal?.RenewalStatus === 'PENDING_VALIDATION') {
    findingClass = 'RENEWAL_PENDING_VALIDATION';
    action =
      dnsRecords.length > 0
        ? `ACM cannot renew it until the domains validate: create the DNS records listed (${dnsRecords.map((r) => r.name).join(', ')}) before ${when}. ${use}.`
        : `ACM cannot renew it until the domains validate: approve the validation e-mail for ${detail.DomainName ?? 'each domain'} before ${when}. ${use}.`;
  } else {
    findingClass = 'MANAGED_RENEWAL_PENDING';
    action = `ACM renews it automatically, but has not yet (renewal ${renewal?.RenewalStatus ?? 'not started'}): no action needed unless it is still pending at the next alert; then check its DNS validation records. ${use}.`;
  }

  return {
    certificateArn: arn,
    domainName: detail.DomainName ?? '',
    subjectAlternativeNames: detail.SubjectAlternativeNames ?? [],
    region,
    account,
    type,
    status: detail.Status ?? 'UNKNOWN',
    keyAlgorithm: detail.KeyAlgorithm ?? null,
    notAfter: notAfter ? notAfter.toISOString() : null,
    daysToExpiry: days,
    threshold,
    findingClass,
    action,
    inUseBy,
    renewalEligibility: detail.RenewalEligibility ?? null,
    renewalStatus: renewal?.RenewalStatus ?? null,
    renewalStatusReason: renewal?.RenewalStatusReason ?? null,
    dnsRecords,
  };
};
