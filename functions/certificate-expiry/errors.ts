/**
 * Errors of the certificate-expiry area. Their `name` is a contract: Step Functions `ErrorEquals`,
 * the CLI and the tests match on it, so never rename one.
 */
import { InvalidInputError } from '../lib/errors.js';

export { InvalidInputError };

/**
 * EventBridge refused some finding events even after retries. Thrown so the Lambda (and the
 * state machine's Retry) fails loudly instead of dropping an alert; the certificates whose
 * alerts were not delivered are not tagged as alerted, so the next run alerts them again.
 */
export class AlertDeliveryError extends Error {
  /** ARNs of the certificates whose finding was not delivered. */
  public readonly certificateArns: readonly string[];
  public constructor(message: string, certificateArns: readonly string[], options?: ErrorOptions) {
    super(message, options);
    this.name = 'AlertDeliveryError';
    this.certificateArns = certificateArns;
  }
}

/**
 * The configured renewal source of an imported certificate (a Secrets Manager secret) cannot be
 * used: missing, not JSON, wrong fields, or a key that does not match its certificate. The message
 * never contains the secret's value.
 */
export class CertificateSourceError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CertificateSourceError';
  }
}

/** One or more Regions of a sweep failed; the summary names them and their causes. */
export class RegionSweepFailedError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RegionSweepFailedError';
  }
}
