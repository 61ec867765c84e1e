import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  type X509Certificate,
} from 'node:crypto';
import {
  bitString,
  boolean,
  children,
  context,
  type DerElement,
  decodeOid,
  nullValue,
  octetString,
  oid,
  printableString,
  readElement,
  sequence,
  set,
  smallInteger,
  TAG,
  time,
  tlv,
  unsignedInteger,
  utf8String,
} from './der.js';

/** ACM's names for the key algorithms it accepts (`KeyAlgorithm` in the API). */
export const KEY_ALGORITHMS = [
  'RSA_1024',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'EC_prime256v1',
  'EC_secp384r1',
  'EC_secp521r1',
] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** ACM's `KeyUsageName` values, in X.509 KeyUsage bit order (RFC 5280 §4.2.1.3). */
export const KEY_USAGE_BITS = [
  'DIGITAL_SIGNATURE',
  'NON_REPUDIATION',
  'KEY_ENCIPHERMENT',
  'DATA_ENCIPHERMENT',
  'KEY_AGREEMENT',
  'CERTIFICATE_SIGNING',
  'CRL_SIGNING',
  'ENCIPHER_ONLY',
  'DECIPHER_ONLY',
] as const;
export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];

/** ACM's `ExtendedKeyUsageName` values and the OIDs they stand for. */
export const EXTENDED_KEY_USAGE_OIDS = {
  TLS_WEB_SERVER_AUTHENTICATION: '1.3.6.1.5.5.7.3.1',
  TLS_WEB_CLIENT_AUTHENTICATION: '1.3.6.1.5.5.7.3.2',
  CODE_SIGNING: '1.3.6.1.5.5.7.3.3',
  EMAIL_PROTECTION: '1.3.6.1.5.5.7.3.4',
  IPSEC_END_SYSTEM: '1.3.6.1.5.5.7.3.5',
  IPSEC_TUNNEL: '1.3.6.1.5.5.7.3.6',
  IPSEC_USER: '1.3.6.1.5.5.7.3.7',
  TIME_STAMPING: '1.3.6.1.5.5.7.3.8',
  OCSP_SIGNING: '1.3.6.1.5.5.7.3.9',
  ANY: '2.5.29.37.0',
} as const;
export type ExtendedKeyUsageName = keyof typeof EXTENDED_KEY_USAGE_OIDS | 'CUSTOM';

const OID = {
  commonName: '2.5.4.3',
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

/** Signature algorithm OIDs and the names ACM shows in `SignatureAlgorithm`. */
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'MD5WITHRSA',
  '1.2.840.113549.1.1.5': 'SHA1WITHRSA',
  '1.2.840.113549.1.1.11': 'SHA256WITHRSA',
  '1.2.840.113549.1.1.12': 'SHA384WITHRSA',
  '1.2.840.113549.1.1.13': 'SHA512WITHRSA',
  '1.2.840.113549.1.1.10': 'SHA256WITHRSASSAPSS',
  '1.2.840.10045.4.1': 'SHA1WITHECDSA',
  '1.2.840.10045.4.3.2': 'SHA256WITHECDSA',
  '1.2.840.10045.4.3.3': 'SHA384WITHECDSA',
  '1.2.840.10045.4.3.4': 'SHA512WITHECDSA',
};

const CURVES: Record<string, KeyAlgorithm> = {
  prime256v1: 'EC_prime256v1',
  secp384r1: 'EC_secp384r1',
  secp521r1: 'EC_secp521r1',
};

/** The ACM key algorithm of a key; `undefined` for keys ACM does not accept (e.g. RSA 1536, Ed25519). */
export const keyAlgorithmOf = (key: KeyObject): KeyAlgorithm | undefined => {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    const name = `RSA_${details?.modulusLength ?? 0}`;
    return (KEY_ALGORITHMS as readonly string[]).includes(name) ? (name as KeyAlgorithm) : undefined;
  }
  if (key.asymmetricKeyType === 'ec') return CURVES[details?.namedCurve ?? ''];
  return undefined;
};

/** A fresh key pair for an ACM key algorithm (RSA 4096 takes a second or more). */
export const generateKeyPair = (algorithm: KeyAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } => {
  if (algorithm.startsWith('RSA_')) {
    return generateKeyPairSync('rsa', { modulusLength: Number(algorithm.slice(4)) });
  }
  const curve = Object.entries(CURVES).find(([, name]) => name === algorithm)?.[0] ?? 'prime256v1';
  return generateKeyPairSync('ec', { namedCurve: curve });
};

export interface DistinguishedName {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
}

export interface CertificateSpec {
  subject: DistinguishedName;
  /** DNS names (IPv4 addresses are written as iPAddress entries). Defaults to the common name. */
  subjectAlternativeNames?: string[];
  notBefore: Date;
  notAfter: Date;
  /** Big-endian serial number; 16 random bytes when omitted. */
  serial?: Buffer;
  publicKey: KeyObject;
  /** Who signs: the issuing CA, or the subject's own private key for a self-signed certificate. */
  signer: { privateKey: KeyObject; publicKey: KeyObject; subject?: DistinguishedName };
  /** A CA certificate (basicConstraints cA, keyCertSign). */
  isCa?: boolean;
  keyUsages?: KeyUsageName[];
  extendedKeyUsages?: (keyof typeof EXTENDED_KEY_USAGE_OIDS)[];
}

const encodeName = (name: DistinguishedName): Buffer => {
  const rdn = (type: string, value: Buffer) => set(sequence(oid(type), value));
  const parts: Buffer[] = [];
  if (name.country) parts.push(rdn(OID.country, printableString(name.country)));
  if (name.organization) parts.push(rdn(OID.organization, utf8String(name.organization)));
  if (name.organizationalUnit) parts.push(rdn(OID.organizationalUnit, utf8String(name.organizationalUnit)));
  parts.push(rdn(OID.commonName, utf8String(name.commonName)));
  return sequence(...parts);
};

const extension = (type: string, value: Buffer, critical = false): Buffer =>
  critical ? sequence(oid(type), boolean(true), octetString(value)) : sequence(oid(type), octetString(value));

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

const encodeSans = (names: string[]): Buffer =>
  sequence(
    ...names.map((name) => {
      const ip = IPV4.exec(name);
      if (ip) return context(7, Buffer.from(ip.slice(1, 5).map(Number)), true);
      return tlv(0x82, Buffer.from(name, 'ascii'));
    }),
  );

const encodeKeyUsage = (usages: KeyUsageName[]): Buffer => {
  const bits = usages.map((u) => KEY_USAGE_BITS.indexOf(u)).filter((b) => b >= 0);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return bitString(bytes, bytes.length * 8 - (highest + 1));
};

const keyIdentifier = (publicKey: KeyObject): Buffer => {
  // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value.
  const spki = children(readElement(publicKey.export({ type: 'spki', format: 'der' })).content);
  const keyBits = spki[1]?.content.subarray(1) ?? Buffer.alloc(0);
  return createHash('sha1').update(keyBits).digest();
};

const signatureParameters = (signingKey: KeyObject): { hash: string; algorithm: Buffer } => {
  if (signingKey.asymmetricKeyType === 'ec') {
    const curve = signingKey.asymmetricKeyDetails?.namedCurve;
    const [hash, suffix] =
      curve === 'secp384r1' ? ['sha384', '3'] : curve === 'secp521r1' ? ['sha512', '4'] : ['sha256', '2'];
    return { hash, algorithm: sequence(oid(`1.2.840.10045.4.3.${suffix}`)) };
  }
  return { hash: 'sha256', algorithm: sequence(oid('1.2.840.113549.1.1.11'), nullValue()) };
};

/** 16 random bytes, positive and without a leading zero byte, as RFC 5280 §4.1.2.2 wants serials. */
export const randomSerial = (): Buffer => {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  return serial;
};

/** Builds and signs an X.509 v3 certificate; returns it PEM-encoded. */
export const buildCertificate = (spec: CertificateSpec): string => {
  const { hash, algorithm } = signatureParameters(spec.signer.privateKey);
  const serial = spec.serial ?? randomSerial();
  const sans = spec.subjectAlternativeNames ?? [spec.subject.commonName];
  const extensions: Buffer[] = [
    extension(OID.basicConstraints, spec.isCa ? sequence(boolean(true)) : sequence(), true),
    extension(
      OID.keyUsage,
      encodeKeyUsage(
        spec.keyUsages ??
          (spec.isCa
            ? ['CERTIFICATE_SIGNING', 'CRL_SIGNING', 'DIGITAL_SIGNATURE']
            : spec.publicKey.asymmetricKeyType === 'rsa'
              ? ['DIGITAL_SIGNATURE', 'KEY_ENCIPHERMENT']
              : ['DIGITAL_SIGNATURE']),
      ),
      true,
    ),
    extension(OID.subjectKeyIdentifier, octetString(keyIdentifier(spec.publicKey))),
    extension(OID.authorityKeyIdentifier, sequence(context(0, keyIdentifier(spec.signer.publicKey), true))),
  ];
  if (!spec.isCa) {
    extensions.push(extension(OID.subjectAltName, encodeSans(sans)));
    const ekus = spec.extendedKeyUsages ?? ['TLS_WEB_SERVER_AUTHENTICATION', 'TLS_WEB_CLIENT_AUTHENTICATION'];
    if (ekus.length > 0) {
      extensions.push(
        extension(OID.extKeyUsage, sequence(...ekus.map((e) => oid(EXTENDED_KEY_USAGE_OIDS[e])))),
      );
    }
  }
  const tbs = sequence(
    context(0, smallInteger(2)),
    unsignedInteger(serial),
    algorithm,
    encodeName(spec.signer.subject ?? spec.subject),
    sequence(time(spec.notBefore), time(spec.notAfter)),
    encodeName(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    context(3, sequence(...extensions)),
  );
  const signature = sign(hash, tbs, spec.signer.privateKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
};

/** What ACM reads from a certificate. */
export interface CertificateInfo {
  readonly keyAlgorithm: KeyAlgorithm | undefined;
  /** The subject's common name, or the first SAN when the subject has none. */
  readonly domainName: string;
  readonly subjectAlternativeNames: string[];
  readonly keyUsages: KeyUsageName[];
  readonly extendedKeyUsages: { Name: ExtendedKeyUsageName; OID: string }[];
  /** Colon-separated lowercase hex, the way ACM shows `Serial`. */
  readonly serial: string;
  readonly subject: string;
  readonly issuer: string;
  readonly signatureAlgorithm: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  /** X.509 version (1 or 3 in practice); ACM imports only version 3. */
  readonly version: number;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every PEM certificate block in a text, in order. */
export const pemBlocks = (text: string): string[] => text.match(PEM_CERTIFICATE) ?? [];

const formatName = (name: string): string =>
  name
    .split('\n')
    .filter((part) => part.length > 0)
    .reverse()
    .join(',');

const parseSans = (value: string | undefined): string[] =>
  (value ?? '')
    .split(', ')
    .map((entry) => {
      const colon = entry.indexOf(':');
      const kind = entry.slice(0, colon);
      const name = entry.slice(colon + 1).replace(/^"|"$/g, '');
      return kind === 'DNS' || kind === 'IP Address' ? name : '';
    })
    .filter((name) => name.length > 0);

const findExtension = (extensions: DerElement[], type: string): Buffer | undefined => {
  for (const ext of extensions) {
    const parts = children(ext.content);
    if (parts[0]?.tag === TAG.OID && decodeOid(parts[0].content) === type) return parts.at(-1)?.content;
  }
  return undefined;
};

const decodeKeyUsage = (value: Buffer | undefined): KeyUsageName[] => {
  if (!value) return [];
  const bits = readElement(value).content.subarray(1);
  return KEY_USAGE_BITS.filter((_, i) => ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0);
};

/**
 * The Extended Key Usage OIDs, from Node's parser: `extKeyUsage` where the running Node has it,
 * else `keyUsage`, the older name of the same list (the Node 20 and 22 typings know only that).
 * Undefined when the certificate has no such extension.
 */
const extendedKeyUsageOids = (certificate: X509Certificate): readonly string[] =>
  (certificate as X509Certificate & { extKeyUsage?: string[] }).extKeyUsage ?? certificate.keyUsage ?? [];

const extendedKeyUsages = (certificate: X509Certificate): { Name: ExtendedKeyUsageName; OID: string }[] =>
  extendedKeyUsageOids(certificate).map((dotted) => {
    const name = Object.entries(EXTENDED_KEY_USAGE_OIDS).find(([, o]) => o === dotted)?.[0];
    return { Name: (name ?? 'CUSTOM') as ExtendedKeyUsageName, OID: dotted };
  });

/**
 * Reads the fields ACM reports from a parsed certificate. Node's `X509Certificate` gives the
 * subject, issuer, SANs, serial, validity, public key, CA flag and Extended Key Usage; it does
 * not expose the KeyUsage bits, the signature algorithm or the version, so those three are read
 * from the DER here (with `der.ts`).
 */
export const describeCertificate = (certificate: X509Certificate): CertificateInfo => {
  const outer = children(readElement(certificate.raw).content);
  const tbs = children(outer[0]?.content ?? Buffer.alloc(0));
  const signatureOid = decodeOid(
    children(outer[1]?.content ?? Buffer.alloc(0))[0]?.content ?? Buffer.alloc(0),
  );
  const extensionsElement = tbs.find((e) => e.tag === 0xa3);
  const extensions = extensionsElement ? children(readElement(extensionsElement.content).content) : [];
  const sans = parseSans(certificate.subjectAltName);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1];
  return {
    keyAlgorithm: keyAlgorithmOf(certificate.publicKey),
    domainName: cn ?? sans[0] ?? '',
    subjectAlternativeNames: sans.length > 0 ? sans : cn ? [cn] : [],
    keyUsages: decodeKeyUsage(findExtension(extensions, OID.keyUsage)),
    extendedKeyUsages: extendedKeyUsages(certificate),
    serial: (certificate.serialNumber.toLowerCase().match(/../g) ?? []).join(':'),
    subject: formatName(certificate.subject),
    issuer: formatName(certificate.issuer),
    signatureAlgorithm: SIGNATURE_ALGORITHMS[signatureOid] ?? signatureOid,
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    isCa: certificate.ca,
    // The version is the optional [0] EXPLICIT INTEGER at the start of the TBSCertificate; absent means v1.
    version: tbs[0]?.tag === 0xa0 ? (readElement(tbs[0].content).content[0] ?? 0) + 1 : 1,
  };
};
