/**
 * The finding event this area publishes: EventBridge `source` `rekey`, `detail-type`
 * `Certificate Expiry Finding`, `detail` a {@link Finding}. docs/certificate-findings.md documents
 * every field for the people who write rules and targets against it; keep the two in step.
 */

/** EventBridge `source` of every finding. */
export const FINDING_SOURCE = 'rekey';
/** EventBridge `detail-type` of every finding. */
export const FINDING_DETAIL_TYPE = 'Certificate Expiry Finding';
/** Bumped only for incompatible changes to {@link Finding}; new optional fields keep the version. */
export const FINDING_SCHEMA_VERSION = 1;

/**
 * Why the certificate needs attention, most urgent cause first (a certificate gets one class):
 * - `EXPIRED`: NotAfter has passed; whatever uses it is failing TLS handshakes now.
 * - `IMPORTED`: ACM never renews imported certificates; reissue at the CA and re-import.
 * - `NOT_ELIGIBLE`: ACM-issued or private, but ACM will not renew it (typically not in use).
 * - `PRIVATE_RENEWAL`: private certificate that can be renewed now with RenewCertificate.
 * - `RENEWAL_FAILED`: ACM tried to renew and failed (`renewalStatusReason` says why).
 * - `RENEWAL_PENDING_VALIDATION`: ACM is waiting for domain validation (`dnsRecords` to create).
 * - `MANAGED_RENEWAL_PENDING`: ACM-issued, eligible, and ACM has not finished renewing it yet.
 */
export type FindingClass =
  | 'EXPIRED'
  | 'IMPORTED'
  | 'NOT_ELIGIBLE'
  | 'PRIVATE_RENEWAL'
  | 'RENEWAL_FAILED'
  | 'RENEWAL_PENDING_VALIDATION'
  | 'MANAGED_RENEWAL_PENDING';

/**
 * What the automation did about the certificate:
 * - `RENEWAL_REQUESTED`: RenewCertificate accepted (private certificates; ACM renews asynchronously).
 * - `REIMPORTED`: a newer certificate from the configured source secret was imported under the same ARN.
 * - `NO_NEWER_CERTIFICATE`: the source secret holds nothing newer than what ACM has.
 * - `FAILED`: the attempt failed; `renewalMessage` says why (never with key material).
 */
export type RenewalResult = 'RENEWAL_REQUESTED' | 'REIMPORTED' | 'NO_NEWER_CERTIFICATE' | 'FAILED';

/** A DNS record ACM needs to validate a domain for renewal. */
export interface DnsRecord {
  readonly domainName: string;
  readonly name: string;
  readonly type: string;
  readonly value: string;
  /** ACM's ValidationStatus for the domain, e.g. `PENDING_VALIDATION`, `FAILED`. */
  readonly validationStatus: string | null;
}

/** Where the finding came from. */
export type FindingTrigger = 'SWEEP' | 'ACM_EVENT';

/** The `detail` of a `Certificate Expiry Finding` event. */
export interface Finding {
  readonly schemaVersion: number;
  readonly certificateArn: string;
  readonly domainName: string;
  readonly subjectAlternativeNames: readonly string[];
  readonly region: string;
  readonly account: string;
  /** ACM certificate type: `IMPORTED`, `AMAZON_ISSUED` or `PRIVATE`. */
  readonly type: string;
  /** ACM certificate status, e.g. `ISSUED`, `EXPIRED`. */
  readonly status: string;
  readonly keyAlgorithm: string | null;
  /** NotAfter as ISO 8601, as ACM reports it. */
  readonly notAfter: string | null;
  /** Whole days until NotAfter (negative once expired). */
  readonly daysToExpiry: number | null;
  /**
   * Threshold crossed, in days: the smallest configured threshold >= daysToExpiry, `0` when expired,
   * or `null` for an ACM event about a certificate not yet within any configured threshold.
   */
  readonly threshold: number | null;
  readonly findingClass: FindingClass;
  /** One sentence for a human: what to do, naming what breaks. */
  readonly action: string;
  /** ARNs of the AWS resources that use the certificate (what breaks when it expires). */
  readonly inUseBy: readonly string[];
  readonly renewalEligibility: string | null;
  readonly renewalStatus: string | null;
  readonly renewalStatusReason: string | null;
  readonly dnsRecords: readonly DnsRecord[];
  readonly renewalAttempted: boolean;
  readonly renewalResult: RenewalResult | null;
  readonly renewalMessage: string | null;
  /** NotAfter after a successful re-import (private renewals are asynchronous and do not set it). */
  readonly renewedNotAfter: string | null;
  readonly trigger: FindingTrigger;
  /** When the automation looked (ISO 8601). */
  readonly observedAt: string;
}
