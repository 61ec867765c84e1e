/**
 * The three ACM events this function handles, as the ACM User Guide ("Amazon EventBridge support
 * for ACM") documents them, parsed once at the edge into a typed value.
 *
 * Unknown fields are accepted, unlike in our own inputs: AWS adds fields to its events over time
 * (FirstSubjectAlternativeName, ValidityInDays, CertificateKeyPairOrigin, Acme... arrived later),
 * and refusing them would turn an AWS addition into an outage of this function.
 */
import { InvalidInputError } from './errors.js';
import { parseCertificateArn } from './triage.js';

export const ACM_EVENT_TYPES = [
  'ACM Certificate Approaching Expiration',
  'ACM Certificate Renewal Action Required',
  'ACM Certificate Expired',
] as const;

export type AcmEventType = (typeof ACM_EVENT_TYPES)[number];

/** The fields of an ACM event this function uses. */
export interface AcmEvent {
  readonly detailType: AcmEventType;
  readonly certificateArn: string;
  readonly region: string;
  readonly account: string;
  readonly time: string;
  /** `DaysToExpiry` from the detail, when ACM sent one (Approaching Expiration, Renewal Action Required). */
  readonly daysToExpiry: number | null;
  readonly commonName: string | null;
  /** `RenewalStatusReason` of Renewal Action Required events. */
  readonly renewalStatusReason: string | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Validates an ACM EventBridge event.
 * @throws InvalidInputError naming the field that is missing or wrong, and what it should be.
 */
export const parseAcmEvent = (event: unknown): AcmEvent => {
  if (!isRecord(event))
    throw new InvalidInputError('The event must be a JSON object (an EventBridge event from aws.acm).');
  const detailType = event['detail-type'];
  if (typeof detailType !== 'string' || !(ACM_EVENT_TYPES as readonly string[]).includes(detailType)) {
    throw new InvalidInputError(
      `Field detail-type must be one of ${ACM_EVENT_TYPES.map((t) => `'${t}'`).join(', ')}; got ${JSON.stringify(detailType)}.`,
    );
  }
  if (event.source !== 'aws.acm') {
    throw new InvalidInputError(
      `Field source must be 'aws.acm' for ${detailType}; got ${JSON.stringify(event.source)}.`,
    );
  }
  const resources = event.resources;
  if (!Array.isArray(resources) || resources.length !== 1 || typeof resources[0] !== 'string') {
    throw new InvalidInputError(
      'Field resources must be an array holding the one certificate ARN the event is about (arn:aws:acm:REGION:ACCOUNT:certificate/ID).',
    );
  }
  const certificateArn = resources[0];
  const fromArn = parseCertificateArn(certificateArn, 'resources[0]');
  if (typeof event.region !== 'string' || event.region !== fromArn.region) {
    throw new InvalidInputError(
      `Field region must be the certificate's Region (${fromArn.region}, from resources[0]); got ${JSON.stringify(event.region)}.`,
    );
  }
  if (typeof event.account !== 'string' || event.account !== fromArn.account) {
    throw new InvalidInputError(
      `Field account must be the certificate's account (${fromArn.account}, from resources[0]); got ${JSON.stringify(event.account)}.`,
    );
  }
  if (typeof event.time !== 'string' || Number.isNaN(Date.parse(event.time))) {
    throw new InvalidInputError(
      `Field time must be an ISO 8601 timestamp; got ${JSON.stringify(event.time)}.`,
    );
  }
  const detail = event.detail;
  if (!isRecord(detail)) throw new InvalidInputError('Field detail must be an object.');
  const days = detail.DaysToExpiry;
  if (
    detailType === 'ACM Certificate Approaching Expiration' &&
    (typeof days !== 'number' || !Number.isInteger(days))
  ) {
    throw new InvalidInputError(
      `Field detail.DaysToExpiry must be a whole number of days for ${detailType}; got ${JSON.stringify(days)}.`,
    );
  }
  if (days !== undefined && (typeof days !== 'number' || !Number.isInteger(days))) {
    throw new InvalidInputError(
      `Field detail.DaysToExpiry must be a whole number of days; got ${JSON.stringify(days)}.`,
    );
  }
  const optionalString = (field: string): string | null => {
    const value = detail[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      throw new InvalidInputError(`Field detail.${field} must be a string; got ${JSON.stringify(value)}.`);
    }
    return value;
  };
  return {
    detailType: detailType as AcmEventType,
    certificateArn,
    region: fromArn.region,
    account: fromArn.account,
    time: event.time,
    daysToExpiry: typeof days === 'number' ? days : null,
    commonName: optionalString('CommonName'),
    renewalStatusReason: optionalString('RenewalStatusReason'),
  };
};
