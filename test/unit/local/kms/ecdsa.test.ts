import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ecdsaSignDigest, ecdsaVerifyDigest } from '../../../../local/services/kms/ecdsa.js';

/** The KMS ECC key specs, their OpenSSL curve and the hash of their one signing algorithm. */
const CASES = [
  ['ECC_NIST_P256', 'prime256v1', 'sha256'],
  ['ECC_NIST_P384', 'secp384r1', 'sha384'],
  ['ECC_NIST_P521', 'secp521r1', 'sha512'],
  ['ECC_SECG_P256K1', 'secp256k1', 'sha256'],
] as const;

describe('ECDSA over a digest (KMS MessageType DIGEST)', () => {
  it.each(CASES)(
    '%s: a digest signature is DER that Node (OpenSSL) verifies over the message',
    (_spec, curve, hash) => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      for (let i = 0; i < 8; i++) {
        const message = Buffer.from(`message ${i} on ${curve}`);
        const digest = createHash(hash).update(message).digest();
        const signature = ecdsaSignDigest(privateKey, digest);
        expect(signature[0]).toBe(0x30);
        expect(verify(hash, message, { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(true);
        expect(verify(hash, Buffer.from('another message'), publicKey, signature)).toBe(false);
      }
    },
  );

  it.each(CASES)('%s: accepts signatures Node made and rejects altered ones', (_spec, curve, hash) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const other = generateKeyPairSync('ec', { namedCurve: curve }).publicKey;
    // Enough signatures that some have a high S value, which OpenSSL produces and KMS accepts.
    for (let i = 0; i < 16; i++) {
      const message = Buffer.from(`node-signed ${i}`);
      const digest = createHash(hash).update(message).digest();
      const signature = sign(hash, message, privateKey);
      expect(ecdsaVerifyDigest(publicKey, digest, signature)).toBe(true);
      expect(ecdsaVerifyDigest(other, digest, signature)).toBe(false);
      const flipped = Buffer.from(digest);
      flipped[0] = (flipped[0] ?? 0) ^ 1;
      expect(ecdsaVerifyDigest(publicKey, flipped, signature)).toBe(false);
    }
  });

  it('treats a malformed signature as not valid instead of throwing', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const digest = createHash('sha256').update('m').digest();
    expect(ecdsaVerifyDigest(publicKey, digest, Buffer.from('3000', 'hex'))).toBe(false);
    expect(ecdsaVerifyDigest(publicKey, digest, Buffer.from('not der'))).toBe(false);
  });
});
