import { AwsError } from '../../aws-error.js';
import { familyOf } from './authority.js';
import { type CertificateRecord, effectiveStatus, renewalEligibility } from './model.js';
import type { CertificateInfo, KeyAlgorithm } from './x509.js';
import { randomSerial } from './x509.js';

/**
 * Renewal and re-import rules of the local ACM: what RenewCertificate accepts and what it
 * changes on the record, and what a re-imported certificate may change ("Reimport a
 * certificate", ACM User Guide).
 */

const DAY_MS = 24 * 3600 * 1000;

export const iso = (date: Date): string => date.toISOString();
/** X.509 times have whole seconds; records keep the same precision so they match their PEM. */
export const wholeSeconds = (date: Date): Date => new Date(Math.floor(date.getTime() / 1000) * 1000);
/** A new serial as ACM shows it: colon-separated lowercase hex. */
export const newSerial = (): string => (randomSerial().toString('hex').match(/../g) ?? []).join(':');

/** The checks RenewCertificate makes: only ISSUED private certificates eligible for renewal. */
export const checkRenewable = (record: CertificateRecord, now: Date): void => {
  if (record.type !== 'PRIVATE') {
    throw new AwsError(
      'ValidationException',
      `Certificate ${record.arn} is ${record.type}: RenewCertificate renews only private certificates (ACM renews Amazon-issued ones itself; imported ones must be re-imported).`,
    );
  }
  const status = effectiveStatus(record, now);
  if (status === 'PENDING_VALIDATION') {
    throw new AwsError('RequestInProgressException', `Certificate ${record.arn} has not been issued yet.`);
  }
  if (status !== 'ISSUED') {
    throw new AwsError(
      'ValidationException',
      `Certificate ${record.arn} has status ${status}; only ISSUED certificates can be renewed.`,
    );
  }
  if (renewalEligibility(record, now) === 'INELIGIBLE') {
    throw new AwsError('ValidationException', `Certificate ${record.arn} is not eligible for renewal.`);
  }
};

/**
 * Renews a record (after `checkRenewable`): a new validity period of the same length (at least
 * a day) from now, a new serial, the same key algorithm and ARN. AWS does this asynchronously;
 * locally it is done at once and RenewalSummary says SUCCESS. The caller re-issues the PEM.
 */
export const renew = (record: CertificateRecord, now: Date): void => {
  checkRenewable(record, now);
  const length = Date.parse(record.notAfter) - Date.parse(record.notBefore);
  record.notBefore = iso(wholeSeconds(now));
  record.notAfter = iso(wholeSeconds(new Date(now.getTime() + Math.max(length, DAY_MS))));
  record.serial = newSerial();
  record.issuedAt = iso(now);
  record.renewal = { status: 'SUCCESS', updatedAt: iso(now) };
};

/**
 * Re-import rules: only imported certificates; no tags; the same key type and size; no Key Usage
 * or Extended Key Usage value dropped, except keyEncipherment on ECDSA certificates and the
 * client-authentication EKU.
 */
export const checkReimport = (
  existing: CertificateRecord,
  incoming: { keyAlgorithm: KeyAlgorithm; info: Pick<CertificateInfo, 'keyUsages' | 'extendedKeyUsages'> },
  withTags: boolean,
): void => {
  if (existing.type !== 'IMPORTED') {
    throw new AwsError(
      'ValidationException',
      `Certificate ${existing.arn} is ${existing.type}; only imported certificates can be re-imported.`,
    );
  }
  if (withTags) {
    throw new AwsError(
      'ValidationException',
      'Tags cannot be applied when re-importing a certificate; use AddTagsToCertificate.',
    );
  }
  if (existing.keyAlgorithm !== incoming.keyAlgorithm) {
    throw new AwsError(
      'ValidationException',
      `The new certificate's key algorithm ${incoming.keyAlgorithm} differs from ${existing.keyAlgorithm}; the key type and size cannot change on re-import.`,
    );
  }
  const ec = familyOf(incoming.keyAlgorithm) === 'EC';
  const droppedUsage = existing.keyUsages.filter(
    (u) => !(incoming.info.keyUsages as string[]).includes(u) && !(ec && u === 'KEY_ENCIPHERMENT'),
  );
  const droppedEku = existing.extendedKeyUsages.filter(
    (e) =>
      e.Name !== 'TLS_WEB_CLIENT_AUTHENTICATION' &&
      !incoming.info.extendedKeyUsages.some((n) => n.OID === e.OID),
  );
  if (droppedUsage.length > 0 || droppedEku.length > 0) {
    throw new AwsError(
      'ValidationException',
      `The new certificate drops usage values of the imported one (${[...droppedUsage, ...droppedEku.map((e) => e.Name)].join(', ')}); re-import may add usages but not remove them.`,
    );
  }
};
