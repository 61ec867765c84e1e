import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { CertificateRecord } from './model.js';
import {
  buildCertificate,
  type DistinguishedName,
  generateKeyPair,
  type KeyAlgorithm,
  type KeyUsageName,
} from './x509.js';

/** A local certificate authority: the stand-in for Amazon's public CAs or for an AWS Private CA. */
export interface Authority {
  /** ARN of the AWS Private CA it stands for (private CAs only). */
  arn?: string;
  subject: DistinguishedName;
  certificatePem: string;
  privateKeyPem: string;
}

export type KeyFamily = 'RSA' | 'EC';

export const familyOf = (algorithm: KeyAlgorithm): KeyFamily => (algorithm.startsWith('RSA_') ? 'RSA' : 'EC');

/** Creates a self-signed CA valid for 20 years from `now`, in the given key family. */
export const createAuthority = (
  subject: DistinguishedName,
  family: KeyFamily,
  now: Date,
  arn?: string,
): Authority => {
  const keys = generateKeyPair(family === 'RSA' ? 'RSA_2048' : 'EC_prime256v1');
  const notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
  const notAfter = new Date(now.getTime() + 20 * 365 * 24 * 3600 * 1000);
  const certificatePem = buildCertificate({
    subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signer: keys,
    isCa: true,
  });
  const privateKeyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return arn ? { arn, subject, certificatePem, privateKeyPem } : { subject, certificatePem, privateKeyPem };
};

/** Parsed keys by PEM, so repeated issuing does not re-parse the same key. */
export class KeyCache {
  readonly #keys = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();

  public get(privateKeyPem: string): { privateKey: KeyObject; publicKey: KeyObject } {
    let keys = this.#keys.get(privateKeyPem);
    if (!keys) {
      const privateKey = createPrivateKey(privateKeyPem);
      keys = { privateKey, publicKey: createPublicKey(privateKey) };
      this.#keys.set(privateKeyPem, keys);
    }
    return keys;
  }
}

const serialBytes = (serial: string): Buffer => Buffer.from(serial.replaceAll(':', ''), 'hex');

/**
 * Builds the certificate a record describes (subject, SANs, validity, serial, usages), for the
 * subject key `privateKeyPem`, signed by `authority`.
 */
export const issueFor = (
  record: CertificateRecord,
  privateKeyPem: string,
  authority: Authority,
  keys: KeyCache,
): string => {
  const subject = keys.get(privateKeyPem);
  const signer = keys.get(authority.privateKeyPem);
  const known = new Set([
    'TLS_WEB_SERVER_AUTHENTICATION',
    'TLS_WEB_CLIENT_AUTHENTICATION',
    'CODE_SIGNING',
    'EMAIL_PROTECTION',
  ]);
  return buildCertificate({
    subject: { commonName: record.domainName },
    subjectAlternativeNames: record.subjectAlternativeNames,
    notBefore: new Date(record.notBefore),
    notAfter: new Date(record.notAfter),
    serial: serialBytes(record.serial),
    publicKey: subject.publicKey,
    signer: { ...signer, subject: authority.subject },
    keyUsages: record.keyUsages as KeyUsageName[],
    extendedKeyUsages: record.extendedKeyUsages
      .map((e) => e.Name)
      .filter((n): n is 'TLS_WEB_SERVER_AUTHENTICATION' => known.has(n)),
  });
};
