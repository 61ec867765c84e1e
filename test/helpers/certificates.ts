import type { KeyObject } from 'node:crypto';
import {
  buildCertificate,
  type DistinguishedName,
  type EXTENDED_KEY_USAGE_OIDS,
  generateKeyPair,
  type KeyAlgorithm,
  type KeyUsageName,
} from '../../local/services/acm/x509.js';

/**
 * Real X.509 certificates for tests: RSA 2048/3072/4096 and ECDSA P-256/P-384/P-521,
 * self-signed or issued by a test CA (root → intermediate → leaf), with any validity window
 * and SANs. Built with Node's crypto (keys, signatures) and a small DER writer; OpenSSL
 * verifies them (`openssl verify`), and Node's `X509Certificate` parses them.
 */

export type { KeyAlgorithm } from '../../local/services/acm/x509.js';

interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const DAY_MS = 24 * 3600 * 1000;
const keyCache = new Map<string, KeyPair>();

/**
 * A key pair for an algorithm. Keys are cached per `(algorithm, slot)` because RSA 4096
 * generation takes seconds; ask for another slot when a test needs a different key.
 */
export const testKeyPair = (algorithm: KeyAlgorithm, slot = 0): KeyPair => {
  const id = `${algorithm}#${slot}`;
  let pair = keyCache.get(id);
  if (!pair) {
    pair = generateKeyPair(algorithm);
    keyCache.set(id, pair);
  }
  return pair;
};

const pkcs8 = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

export interface TestCa {
  subject: DistinguishedName;
  keys: KeyPair;
  keyAlgorithm: KeyAlgorithm;
  certificatePem: string;
  /** PEM chain to import with a leaf it issued: this CA first, then its issuers up to the root. */
  chainPem: string;
}

export interface TestCaOptions {
  keyAlgorithm?: KeyAlgorithm;
  commonName?: string;
  /** Issue this CA from another one (an intermediate); otherwise it is a self-signed root. */
  parent?: TestCa;
  notBefore?: Date;
  notAfter?: Date;
  slot?: number;
}

/** A test CA; defaults: RSA_2048, valid from yesterday for ten years. */
export const createTestCa = (options: TestCaOptions = {}): TestCa => {
  const keyAlgorithm = options.keyAlgorithm ?? 'RSA_2048';
  const keys = testKeyPair(keyAlgorithm, options.slot ?? 100);
  const subject = {
    commonName: options.commonName ?? `rekey test CA ${keyAlgorithm}`,
    organization: 'rekey tests',
  };
  const certificatePem = buildCertificate({
    subject,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY_MS),
    notAfter: options.notAfter ?? new Date(Date.now() + 3650 * DAY_MS),
    publicKey: keys.publicKey,
    signer: options.parent ? { ...options.parent.keys, subject: options.parent.subject } : keys,
    isCa: true,
  });
  const chainPem = options.parent ? `${certificatePem}${options.parent.chainPem}` : certificatePem;
  return { subject, keys, keyAlgorithm, certificatePem, chainPem };
};

/** A root CA and an intermediate it issued, both of the same key family: the usual public chain. */
export const createTestChain = (
  keyAlgorithm: KeyAlgorithm = 'RSA_2048',
): { root: TestCa; intermediate: TestCa } => {
  const root = createTestCa({ keyAlgorithm, commonName: `rekey test root ${keyAlgorithm}`, slot: 101 });
  const intermediate = createTestCa({
    keyAlgorithm,
    commonName: `rekey test intermediate ${keyAlgorithm}`,
    parent: root,
    slot: 102,
  });
  return { root, intermediate };
};

export interface TestCertificateOptions {
  keyAlgorithm?: KeyAlgorithm;
  domainName?: string;
  /** Defaults to `[domainName]`. */
  subjectAlternativeNames?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Issuing CA; self-signed when omitted. */
  issuer?: TestCa;
  /** Key slot (see `testKeyPair`); use a new slot for a key no other certificate has. */
  slot?: number;
  keyUsages?: KeyUsageName[];
  extendedKeyUsages?: (keyof typeof EXTENDED_KEY_USAGE_OIDS)[];
}

export interface TestCertificate {
  certificatePem: string;
  /** Unencrypted PKCS#8 PEM. Tests pass it to ImportCertificate and must never print it. */
  privateKeyPem: string;
  /** CA certificates for ImportCertificate's CertificateChain; absent for self-signed certificates. */
  chainPem?: string;
  keyAlgorithm: KeyAlgorithm;
  notBefore: Date;
  notAfter: Date;
}

/** A leaf certificate; defaults: RSA_2048, self-signed, valid from an hour ago for 90 days. */
export const createTestCertificate = (options: TestCertificateOptions = {}): TestCertificate => {
  const keyAlgorithm = options.keyAlgorithm ?? 'RSA_2048';
  const keys = testKeyPair(keyAlgorithm, options.slot ?? 0);
  const domainName = options.domainName ?? 'test.rekey.example';
  const notBefore = options.notBefore ?? new Date(Date.now() - 3600 * 1000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 90 * DAY_MS);
  const certificatePem = buildCertificate({
    subject: { commonName: domainName },
    subjectAlternativeNames: options.subjectAlternativeNames ?? [domainName],
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signer: options.issuer ? { ...options.issuer.keys, subject: options.issuer.subject } : keys,
    ...(options.keyUsages ? { keyUsages: options.keyUsages } : {}),
    ...(options.extendedKeyUsages ? { extendedKeyUsages: options.extendedKeyUsages } : {}),
  });
  const certificate: TestCertificate = {
    certificatePem,
    privateKeyPem: pkcs8(keys.privateKey),
    keyAlgorithm,
    notBefore,
    notAfter,
  };
  if (options.issuer) certificate.chainPem = options.issuer.chainPem;
  return certificate;
};

/** ImportCertificate input for a test certificate (the SDK base64-encodes the blobs). */
export const importInput = (
  certificate: TestCertificate,
  extra: { CertificateArn?: string; Tags?: { Key: string; Value?: string }[] } = {},
) => ({
  Certificate: Buffer.from(certificate.certificatePem),
  PrivateKey: Buffer.from(certificate.privateKeyPem),
  ...(certificate.chainPem ? { CertificateChain: Buffer.from(certificate.chainPem) } : {}),
  ...extra,
});
