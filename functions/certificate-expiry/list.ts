/**
 * Lists every certificate of a Region and picks, from the summaries alone, the ones that need a
 * closer look. ListCertificates returns up to 1,000 summaries per call, so a Region of 2,500
 * certificates with nothing due costs three ACM calls.
 */
import {
  type ACMClient,
  CertificateStatus,
  type CertificateSummary,
  KeyAlgorithm,
  ListCertificatesCommand,
} from '@aws-sdk/client-acm';
import { type BackoffOptions, withBackoff } from '../lib/retry.js';

/**
 * Every key type. ListCertificates without `Includes.keyTypes` returns only RSA_1024 and RSA_2048
 * certificates, so a sweep that omits this silently skips every ECDSA and larger RSA certificate.
 */
export const ALL_KEY_TYPES: KeyAlgorithm[] = Object.values(KeyAlgorithm);
/** Every status, so expired certificates (still attached to something, perhaps) are listed too. */
export const ALL_STATUSES: CertificateStatus[] = Object.values(CertificateStatus);
/** The largest page ListCertificates allows. */
export const PAGE_SIZE = 1000;

const DAY_MS = 86_400_000;

/**
 * Statuses of certificates that never were, or no longer are, usable: a request that failed or
 * timed out validation has no NotAfter and serves nothing, and a revoked certificate cannot be
 * renewed. None of them can "expire unnoticed", so the sweep leaves them out.
 */
const IGNORED_STATUSES = new Set<string>([
  CertificateStatus.FAILED,
  CertificateStatus.VALIDATION_TIMED_OUT,
  CertificateStatus.REVOKED,
  CertificateStatus.INACTIVE,
]);

/**
 * Whether a summary needs DescribeCertificate: expired, or NotAfter within the largest threshold.
 * A PENDING_VALIDATION certificate with a NotAfter is an issued certificate being re-validated and
 * counts by its NotAfter; one without a NotAfter was never issued and is left out.
 */
export const needsAttention = (summary: CertificateSummary, now: Date, maxThresholdDays: number): boolean => {
  if (!summary.CertificateArn) return false;
  if (summary.Status === CertificateStatus.EXPIRED) return true;
  if (summary.Status !== undefined && IGNORED_STATUSES.has(summary.Status)) return false;
  if (!summary.NotAfter) return false;
  // Whole days are rounded down, so 45.9 days left is "45 days": look one day past the largest threshold.
  return summary.NotAfter.getTime() - now.getTime() < (maxThresholdDays + 1) * DAY_MS;
};

export interface ListResult {
  /** Summaries listed, all pages. */
  readonly listed: number;
  /** Summaries that need DescribeCertificate. */
  readonly candidates: CertificateSummary[];
  /** ListCertificates calls made (pages; retries not counted). */
  readonly pages: number;
}

/**
 * Lists all certificates of the client's Region (every key type and status, 1,000 per page,
 * following NextToken) and returns those that {@link needsAttention}.
 */
export const listCandidates = async (
  acm: ACMClient,
  options: { now: Date; maxThresholdDays: number; backoff?: BackoffOptions; onAcmCall?: () => void },
): Promise<ListResult> => {
  const candidates: CertificateSummary[] = [];
  let listed = 0;
  let pages = 0;
  let nextToken: string | undefined;
  do {
    const page = await withBackoff(() => {
      options.onAcmCall?.();
      return acm.send(
        new ListCertificatesCommand({
          CertificateStatuses: ALL_STATUSES,
          Includes: { keyTypes: ALL_KEY_TYPES },
          MaxItems: PAGE_SIZE,
          NextToken: nextToken,
        }),
      );
    }, options.backoff);
    pages++;
    for (const summary of page.CertificateSummaryList ?? []) {
      listed++;
      if (needsAttention(summary, options.now, options.maxThresholdDays)) candidates.push(summary);
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return { listed, candidates, pages };
};
