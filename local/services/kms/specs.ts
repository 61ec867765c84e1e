/**
 * The key specs, key usages and algorithms of AWS KMS, as the Key spec reference of the AWS KMS
 * Developer Guide lists them (commercial Regions; SM2/SM4 exist only in China Regions, and
 * ML-DSA / key agreement are not emulated here).
 */

export type KeyUsage = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC';

/** Symmetric vs asymmetric vs HMAC: the "key type" UpdateAlias compares. */
export type KeyKind = 'SYMMETRIC' | 'RSA' | 'ECC' | 'HMAC';

export interface KeySpecInfo {
  readonly kind: KeyKind;
  /** Algorithms per key usage the spec allows. */
  readonly usages: Partial<Record<KeyUsage, readonly string[]>>;
  /** RSA modulus length in bits. */
  readonly modulusLength?: number;
  /** Node/OpenSSL curve name for ECC specs. */
  readonly curve?: 'prime256v1' | 'secp384r1' | 'secp521r1' | 'secp256k1';
  /** HMAC: digest name and the documented key length range in bytes (imported material). */
  readonly hmac?: { digest: string; minBytes: number; maxBytes: number };
}

const RSA_ENCRYPT = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const;
const RSA_SIGN = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
] as const;

export const KEY_SPECS: Readonly<Record<string, KeySpecInfo>> = {
  SYMMETRIC_DEFAULT: { kind: 'SYMMETRIC', usages: { ENCRYPT_DECRYPT: ['SYMMETRIC_DEFAULT'] } },
  RSA_2048: {
    kind: 'RSA',
    modulusLength: 2048,
    usages: { ENCRYPT_DECRYPT: RSA_ENCRYPT, SIGN_VERIFY: RSA_SIGN },
  },
  RSA_3072: {
    kind: 'RSA',
    modulusLength: 3072,
    usages: { ENCRYPT_DECRYPT: RSA_ENCRYPT, SIGN_VERIFY: RSA_SIGN },
  },
  RSA_4096: {
    kind: 'RSA',
    modulusLength: 4096,
    usages: { ENCRYPT_DECRYPT: RSA_ENCRYPT, SIGN_VERIFY: RSA_SIGN },
  },
  ECC_NIST_P256: { kind: 'ECC', curve: 'prime256v1', usages: { SIGN_VERIFY: ['ECDSA_SHA_256'] } },
  ECC_NIST_P384: { kind: 'ECC', curve: 'secp384r1', usages: { SIGN_VERIFY: ['ECDSA_SHA_384'] } },
  ECC_NIST_P521: { kind: 'ECC', curve: 'secp521r1', usages: { SIGN_VERIFY: ['ECDSA_SHA_512'] } },
  ECC_SECG_P256K1: { kind: 'ECC', curve: 'secp256k1', usages: { SIGN_VERIFY: ['ECDSA_SHA_256'] } },
  HMAC_224: {
    kind: 'HMAC',
    hmac: { digest: 'sha224', minBytes: 28, maxBytes: 64 },
    usages: { GENERATE_VERIFY_MAC: ['HMAC_SHA_224'] },
  },
  HMAC_256: {
    kind: 'HMAC',
    hmac: { digest: 'sha256', minBytes: 32, maxBytes: 64 },
    usages: { GENERATE_VERIFY_MAC: ['HMAC_SHA_256'] },
  },
  HMAC_384: {
    kind: 'HMAC',
    hmac: { digest: 'sha384', minBytes: 48, maxBytes: 128 },
    usages: { GENERATE_VERIFY_MAC: ['HMAC_SHA_384'] },
  },
  HMAC_512: {
    kind: 'HMAC',
    hmac: { digest: 'sha512', minBytes: 64, maxBytes: 128 },
    usages: { GENERATE_VERIFY_MAC: ['HMAC_SHA_512'] },
  },
};

export const KEY_USAGES: readonly KeyUsage[] = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC'];

/** Digest (Node name and output length) behind each signing algorithm. */
export const SIGNING_HASH: Readonly<
  Record<string, { digest: string; length: number; pss?: true; ecdsa?: true }>
> = {
  RSASSA_PSS_SHA_256: { digest: 'sha256', length: 32, pss: true },
  RSASSA_PSS_SHA_384: { digest: 'sha384', length: 48, pss: true },
  RSASSA_PSS_SHA_512: { digest: 'sha512', length: 64, pss: true },
  RSASSA_PKCS1_V1_5_SHA_256: { digest: 'sha256', length: 32 },
  RSASSA_PKCS1_V1_5_SHA_384: { digest: 'sha384', length: 48 },
  RSASSA_PKCS1_V1_5_SHA_512: { digest: 'sha512', length: 64 },
  ECDSA_SHA_256: { digest: 'sha256', length: 32, ecdsa: true },
  ECDSA_SHA_384: { digest: 'sha384', length: 48, ecdsa: true },
  ECDSA_SHA_512: { digest: 'sha512', length: 64, ecdsa: true },
};

/** OAEP hash behind each RSA encryption algorithm. */
export const OAEP_HASH: Readonly<Record<string, string>> = {
  RSAES_OAEP_SHA_1: 'sha1',
  RSAES_OAEP_SHA_256: 'sha256',
};

/** Wrapping algorithms GetParametersForImport offers that can be emulated with Node's crypto. */
export const WRAPPING_ALGORITHMS = [
  'RSAES_OAEP_SHA_1',
  'RSAES_OAEP_SHA_256',
  'RSA_AES_KEY_WRAP_SHA_1',
  'RSA_AES_KEY_WRAP_SHA_256',
] as const;
export const WRAPPING_KEY_SPECS: Readonly<Record<string, number>> = {
  RSA_2048: 2048,
  RSA_3072: 3072,
  RSA_4096: 4096,
};

/** Operations a grant may allow (GrantOperation in the API reference). */
export const GRANT_OPERATIONS = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'Sign',
  'Verify',
  'GetPublicKey',
  'CreateGrant',
  'RetireGrant',
  'DescribeKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
] as const;

/**
 * Grant operations each key usage supports; CreateGrant refuses an operation the key does not
 * support with ValidationException (CreateGrant API reference).
 */
export const grantOperationsFor = (kind: KeyKind, usage: KeyUsage): ReadonlySet<string> => {
  const common = ['CreateGrant', 'RetireGrant', 'DescribeKey'];
  if (kind === 'SYMMETRIC') {
    return new Set([
      ...common,
      'Decrypt',
      'Encrypt',
      'GenerateDataKey',
      'GenerateDataKeyWithoutPlaintext',
      'ReEncryptFrom',
      'ReEncryptTo',
      'GenerateDataKeyPair',
      'GenerateDataKeyPairWithoutPlaintext',
    ]);
  }
  if (kind === 'HMAC') return new Set([...common, 'GenerateMac', 'VerifyMac']);
  if (usage === 'ENCRYPT_DECRYPT') {
    return new Set([...common, 'Decrypt', 'Encrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey']);
  }
  return new Set([...common, 'Sign', 'Verify', 'GetPublicKey']);
};

/** Largest plaintext RSAES_OAEP accepts: modulus bytes - 2 * hash bytes - 2 (RFC 8017, 7.1.1). */
export const maxOaepPlaintext = (modulusBits: number, hash: string): number =>
  modulusBits / 8 - 2 * (hash === 'sha1' ? 20 : 32) - 2;
