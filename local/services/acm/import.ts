import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { AwsError } from '../../aws-error.js';
import type { RequestContext } from '../../types.js';
import { type CertificateStatus, constraint } from './model.js';
import { checkReimport, iso } from './renewal.js';
import { type AcmModel, certificateArn } from './store.js';
import { addTags, validateTags } from './tags.js';
import { describeCertificate, KEY_ALGORITHMS, type KeyAlgorithm, keyAlgorithmOf, pemBlocks } from './x509.js';

/**
 * ImportCertificate: the certificate, key and chain checks ImportCertificate documents, and
 * import or re-import into the model.
 */

const blobText = (input: Record<string, unknown>, field: string, maxBytes: number, required: boolean) => {
  const value = input[field];
  if (value === undefined || value === null) {
    if (required) throw constraint('null', field, 'Member must not be null');
    return undefined;
  }
  if (typeof value !== 'string')
    throw new AwsError('SerializationException', `${field} must be a base64-encoded blob.`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < 1 || bytes.length > maxBytes) {
    throw constraint(
      `${bytes.length} bytes`,
      field,
      `Member must have length between 1 and ${maxBytes} (${field} is the PEM text, base64-encoded on the wire)`,
    );
  }
  return bytes.toString('utf8');
};

interface ParsedImport {
  certificatePem: string;
  chainPem?: string;
  privateKeyPem: string;
  info: ReturnType<typeof describeCertificate>;
  keyAlgorithm: KeyAlgorithm;
}

/**
 * Checks a certificate, key and chain the way ImportCertificate documents it: PEM, one
 * certificate, X.509 v3, an unencrypted key of at most 5,120 bytes that matches the
 * certificate, a supported key algorithm (the CA may sign with another algorithm family), a chain
 * that issued the certificate, and a validity period that includes now.
 */
export const parseImport = (input: Record<string, unknown>, now: Date): ParsedImport => {
  const certificateText = blobText(input, 'Certificate', 32768, true) ?? '';
  const keyText = blobText(input, 'PrivateKey', 5120, true) ?? '';
  const chainText = blobText(input, 'CertificateChain', 2097152, false);
  const blocks = pemBlocks(certificateText);
  if (blocks.length === 0) {
    throw new AwsError(
      'ValidationException',
      'Could not parse the certificate: Certificate must be PEM-encoded (-----BEGIN CERTIFICATE-----).',
    );
  }
  if (blocks.length > 1) {
    throw new AwsError(
      'ValidationException',
      'The certificate field contains more than one certificate. You can specify only one certificate in this field; put the CA certificates in CertificateChain.',
    );
  }
  const certificatePem = blocks[0] ?? '';
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    throw new AwsError(
      'ValidationException',
      'Could not parse the certificate: the PEM block is not a valid X.509 certificate.',
    );
  }
  const info = describeCertificate(certificate);
  if (info.version !== 3) {
    throw new AwsError(
      'ValidationException',
      `The certificate is X.509 version ${info.version}; ACM imports only version 3 certificates.`,
    );
  }
  if (!info.issuer) throw new AwsError('ValidationException', 'The certificate has an empty Issuer field.');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(keyText)) {
    throw new AwsError(
      'ValidationException',
      'The private key is encrypted. Import an unencrypted PEM private key.',
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyText);
  } catch {
    throw new AwsError(
      'ValidationException',
      'Could not parse the private key: PrivateKey must be an unencrypted PEM private key.',
    );
  }
  const keyAlgorithm = keyAlgorithmOf(certificate.publicKey);
  if (!keyAlgorithm) {
    throw new AwsError(
      'ValidationException',
      `The certificate's key algorithm is not supported. ACM imports ${KEY_ALGORITHMS.join(', ')} keys.`,
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new AwsError('ValidationException', "The private key does not match the certificate's public key.");
  }
  if (now < info.notBefore) {
    throw new AwsError(
      'ValidationException',
      `The certificate is not valid yet: NotBefore is ${iso(info.notBefore)}.`,
    );
  }
  if (now > info.notAfter) {
    throw new AwsError(
      'ValidationException',
      `The certificate is expired: NotAfter was ${iso(info.notAfter)}.`,
    );
  }
  let chainPem: string | undefined;
  if (chainText !== undefined) {
    const chainBlocks = pemBlocks(chainText);
    if (chainBlocks.length === 0) {
      throw new AwsError(
        'ValidationException',
        'Could not parse the certificate chain: CertificateChain must hold PEM certificates.',
      );
    }
    const chain = chainBlocks.map((block) => {
      try {
        return new X509Certificate(block);
      } catch {
        throw new AwsError(
          'ValidationException',
          'Could not parse the certificate chain: a block is not a valid X.509 certificate.',
        );
      }
    });
    if (chain.some((ca) => ca.fingerprint256 === certificate.fingerprint256)) {
      throw new AwsError(
        'ValidationException',
        'The certificate chain contains the certificate itself; include only the CA certificates.',
      );
    }
    if (!chain.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey))) {
      throw new AwsError(
        'ValidationException',
        'Could not validate the certificate with the certificate chain: no certificate in the chain issued it.',
      );
    }
    chainPem = `${chainBlocks.join('\n')}\n`;
  }
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return chainPem === undefined
    ? { certificatePem, privateKeyPem, info, keyAlgorithm }
    : { certificatePem, chainPem, privateKeyPem, info, keyAlgorithm };
};

/** ImportCertificate: a new imported certificate, or a re-import onto `CertificateArn`. */
export const importCertificate = (model: AcmModel, input: Record<string, unknown>, ctx: RequestContext) => {
  const parsed = parseImport(input, ctx.now);
  const now = iso(ctx.now);
  const fields = {
    status: 'ISSUED' as CertificateStatus,
    domainName: parsed.info.domainName,
    subjectAlternativeNames: parsed.info.subjectAlternativeNames,
    keyAlgorithm: parsed.keyAlgorithm,
    keyUsages: parsed.info.keyUsages,
    extendedKeyUsages: parsed.info.extendedKeyUsages,
    serial: parsed.info.serial,
    subject: parsed.info.subject,
    issuer: parsed.info.issuer,
    signatureAlgorithm: parsed.info.signatureAlgorithm,
    notBefore: iso(parsed.info.notBefore),
    notAfter: iso(parsed.info.notAfter),
    importedAt: now,
    certificatePem: parsed.certificatePem,
    chainPem: parsed.chainPem,
    privateKeyPem: parsed.privateKeyPem,
  };
  if (input.CertificateArn !== undefined && input.CertificateArn !== null) {
    const existing = model.find(ctx, input.CertificateArn);
    checkReimport(existing, parsed, input.Tags !== undefined);
    Object.assign(existing, fields);
    return { CertificateArn: existing.arn };
  }
  const tags = input.Tags === undefined ? [] : addTags([], validateTags(input.Tags));
  const arn = certificateArn(ctx);
  model.add(ctx, { arn, type: 'IMPORTED', ...fields, createdAt: now, inUseBy: [], exported: false, tags });
  return { CertificateArn: arn };
};
