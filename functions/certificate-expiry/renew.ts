/**
 * Renewal where ACM allows it: RenewCertificate for eligible private certificates, and re-import
 * under the same ARN for imported certificates whose source secret holds a newer certificate.
 * Key material is read into memory only to check it and to hand it to ImportCertificate; it is
 * never logged and never put into an error message or a finding.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { ImportCertificateCommand, RenewCertificateCommand } from '@aws-sdk/client-acm';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { type BackoffOptions, withBackoff } from '../lib/retry.js';
import type { Clients } from './clients.js';
import { CertificateSourceError } from './errors.js';
import type { RenewalResult } from './schema.js';
import type { Triage } from './triage.js';

/** Tag on an imported certificate naming the secret (ARN or name) that holds its renewals. */
export const SOURCE_SECRET_TAG = 'rekey:source-secret';

export interface RenewalOutcome {
  readonly attempted: boolean;
  readonly result: RenewalResult | null;
  readonly message: string | null;
  readonly renewedNotAfter: string | null;
}

const NOT_ATTEMPTED: RenewalOutcome = {
  attempted: false,
  result: null,
  message: null,
  renewedNotAfter: null,
};

/** The PEM bundle a source secret holds: `{"certificate": PEM, "privateKey": PEM, "chain"?: PEM}`. */
export interface CertificateSource {
  readonly certificate: string;
  readonly privateKey: string;
  readonly chain?: string;
}

const SOURCE_KEYS = new Set(['certificate', 'privateKey', 'chain']);

/**
 * Parses a source secret's string. Errors name the field and never quote the value (JSON.parse's
 * own message would quote the beginning of the secret, so it is not passed on).
 */
export const parseSource = (secretString: string | undefined, secretId: string): CertificateSource => {
  if (secretString === undefined) {
    throw new CertificateSourceError(
      `Source secret ${secretId} has no SecretString; store the PEM bundle as JSON.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    throw new CertificateSourceError(
      `Source secret ${secretId} is not JSON; store {"certificate": PEM, "privateKey": PEM, "chain": PEM}.`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CertificateSourceError(
      `Source secret ${secretId} must be a JSON object with certificate and privateKey.`,
    );
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !SOURCE_KEYS.has(k));
  if (unknown.length > 0) {
    throw new CertificateSourceError(
      `Source secret ${secretId} has unknown field(s) ${unknown.join(', ')}; allowed: certificate, privateKey, chain.`,
    );
  }
  for (const field of ['certificate', 'privateKey'] as const) {
    if (typeof record[field] !== 'string' || !(record[field] as string).includes('-----BEGIN')) {
      throw new CertificateSourceError(`Source secret ${secretId}: field ${field} must be a PEM string.`);
    }
  }
  if (
    record.chain !== undefined &&
    (typeof record.chain !== 'string' || !record.chain.includes('-----BEGIN'))
  ) {
    throw new CertificateSourceError(
      `Source secret ${secretId}: field chain, when present, must be a PEM string.`,
    );
  }
  return {
    certificate: record.certificate as string,
    privateKey: record.privateKey as string,
    ...(typeof record.chain === 'string' ? { chain: record.chain } : {}),
  };
};

/** The Region of a secret ARN, or `fallback` for a secret name. */
const secretRegion = (secretId: string, fallback: string): string =>
  /^arn:[a-z-]+:secretsmanager:([a-z0-9-]+):/.exec(secretId)?.[1] ?? fallback;

/** Whether the certificate names `domain` in its SAN or subject CN. */
const covers = (x509: X509Certificate, domain: string): boolean => {
  const names = (x509.subjectAltName ?? '').split(',').map((n) => n.trim());
  if (names.includes(`DNS:${domain}`)) return true;
  return x509.subject.split('\n').includes(`CN=${domain}`);
};

/**
 * Checks a source bundle and says whether it is newer than what ACM holds.
 * @throws CertificateSourceError when the PEM does not parse, the key does not match, or the
 *   certificate does not cover the domain.
 */
export const inspectSource = (
  source: CertificateSource,
  secretId: string,
  current: { domainName: string; notAfter: string | null },
  now: Date,
): { newer: boolean; notAfter: Date } => {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(source.certificate);
  } catch (error) {
    throw new CertificateSourceError(
      `Source secret ${secretId}: certificate is not a valid PEM X.509 certificate.`,
      {
        cause: error,
      },
    );
  }
  let matches = false;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(source.privateKey));
  } catch (error) {
    throw new CertificateSourceError(
      `Source secret ${secretId}: privateKey is not a valid unencrypted PEM private key of the certificate's type.`,
      { cause: error },
    );
  }
  if (!matches) {
    throw new CertificateSourceError(
      `Source secret ${secretId}: privateKey does not belong to the certificate.`,
    );
  }
  if (current.domainName && !covers(x509, current.domainName)) {
    throw new CertificateSourceError(
      `Source secret ${secretId}: its certificate does not cover ${current.domainName} (subject ${x509.subject.replaceAll('\n', ', ')}).`,
    );
  }
  const notAfter = new Date(x509.validTo);
  const currentNotAfter = current.notAfter ? new Date(current.notAfter).getTime() : 0;
  // ACM reports NotAfter to the second, as does X.509; a strictly later date is a newer certificate.
  return { newer: notAfter.getTime() > currentNotAfter && notAfter.getTime() > now.getTime(), notAfter };
};

const failure = (error: unknown): RenewalOutcome => ({
  attempted: true,
  result: 'FAILED',
  message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  renewedNotAfter: null,
});

/**
 * Renews the certificate if the automation can: an eligible private certificate that has not
 * expired gets RenewCertificate; an imported certificate tagged {@link SOURCE_SECRET_TAG} is
 * re-imported under its ARN when the secret holds a newer certificate. Failures are returned as a
 * `FAILED` outcome (the finding then tells a human what went wrong), never thrown.
 */
export const renewIfPossible = async (
  triage: Triage,
  tags: ReadonlyMap<string, string>,
  clients: Clients,
  options: { now: Date; backoff?: BackoffOptions; onAcmCall?: () => void },
): Promise<RenewalOutcome> => {
  const acm = clients.acm(triage.region);
  if (triage.findingClass === 'PRIVATE_RENEWAL') {
    try {
      await withBackoff(() => {
        options.onAcmCall?.();
        return acm.send(new RenewCertificateCommand({ CertificateArn: triage.certificateArn }));
      }, options.backoff);
      return { attempted: true, result: 'RENEWAL_REQUESTED', message: null, renewedNotAfter: null };
    } catch (error) {
      return failure(error);
    }
  }
  const secretId = tags.get(SOURCE_SECRET_TAG);
  if (triage.type !== 'IMPORTED' || !secretId) return NOT_ATTEMPTED;
  try {
    const secrets = clients.secrets(secretRegion(secretId, triage.region));
    const value = await withBackoff(
      () => secrets.send(new GetSecretValueCommand({ SecretId: secretId })),
      options.backoff,
    );
    const source = parseSource(value.SecretString, secretId);
    const inspected = inspectSource(source, secretId, triage, options.now);
    if (!inspected.newer) {
      return {
        attempted: true,
        result: 'NO_NEWER_CERTIFICATE',
        message: `Source secret ${secretId} holds a certificate valid until ${inspected.notAfter.toISOString()}, not newer than the imported one; put the renewed PEM bundle there.`,
        renewedNotAfter: null,
      };
    }
    const encoder = new TextEncoder();
    await withBackoff(() => {
      options.onAcmCall?.();
      return acm.send(
        new ImportCertificateCommand({
          CertificateArn: triage.certificateArn,
          Certificate: encoder.encode(source.certificate),
          PrivateKey: encoder.encode(source.privateKey),
          ...(source.chain ? { CertificateChain: encoder.encode(source.chain) } : {}),
        }),
      );
    }, options.backoff);
    return {
      attempted: true,
      result: 'REIMPORTED',
      message: `Re-imported from ${secretId}.`,
      renewedNotAfter: inspected.notAfter.toISOString(),
    };
  } catch (error) {
    return failure(error);
  }
};
