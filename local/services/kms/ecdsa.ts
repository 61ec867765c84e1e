import type { KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

/**
 * ECDSA over a precomputed digest (KMS `MessageType: DIGEST`). Node's crypto only signs and
 * verifies messages it hashes itself, so a digest goes through `@noble/curves` instead
 * (`prehash: false`). Signatures are DER `ECDSA-Sig-Value`, as KMS returns them; high-S values
 * are accepted and produced as OpenSSL does (KMS does not normalise S), and `k` is hedged with
 * fresh randomness like KMS's non-deterministic signatures.
 */

const CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521, secp256k1 } as const;

const curveOf = (key: KeyObject) => {
  const name = key.asymmetricKeyDetails?.namedCurve ?? '';
  const curve = CURVES[name as keyof typeof CURVES];
  if (!curve) throw new Error(`ECDSA over a digest is not implemented for curve ${name}`);
  return curve;
};

const jwkBytes = (value: string | undefined): Buffer => Buffer.from(value ?? '', 'base64url');

/** Signs `digest` with an EC private key; returns a DER `ECDSA-Sig-Value`. */
export const ecdsaSignDigest = (privateKey: KeyObject, digest: Buffer): Buffer => {
  const curve = curveOf(privateKey);
  const secret = jwkBytes(privateKey.export({ format: 'jwk' }).d);
  return Buffer.from(
    curve.sign(digest, secret, { prehash: false, lowS: false, format: 'der', extraEntropy: true }),
  );
};

/** Verifies a DER ECDSA signature over `digest` against an EC public key. */
export const ecdsaVerifyDigest = (publicKey: KeyObject, digest: Buffer, signature: Buffer): boolean => {
  const curve = curveOf(publicKey);
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), jwkBytes(jwk.x), jwkBytes(jwk.y)]);
  try {
    return curve.verify(signature, digest, point, { prehash: false, lowS: false, format: 'der' });
  } catch {
    // A malformed DER signature is simply not valid.
    return false;
  }
};
