import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { promisify } from 'node:util';
import { ecdsaSignDigest, ecdsaVerifyDigest } from './ecdsa.js';
import { KEY_SPECS, type KeySpecInfo, OAEP_HASH, SIGNING_HASH } from './specs.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Real cryptography for the local KMS, on Node's `crypto`. Key material is held as base64:
 * the raw secret for symmetric and HMAC keys, PKCS#8 DER for asymmetric private keys.
 */

const specInfo = (keySpec: string): KeySpecInfo => {
  const info = KEY_SPECS[keySpec];
  if (!info) throw new Error(`unknown key spec ${keySpec}`);
  return info;
};

/** Makes fresh key material for a key spec (async: RSA 4096 takes a while). */
export const generateMaterial = async (keySpec: string): Promise<string> => {
  const info = specInfo(keySpec);
  if (info.kind === 'SYMMETRIC') return randomBytes(32).toString('base64');
  // AWS generates HMAC keys as long as the digest output.
  if (info.kind === 'HMAC') return randomBytes(info.hmac?.minBytes ?? 32).toString('base64');
  const pair =
    info.kind === 'RSA'
      ? await generateKeyPairAsync('rsa', { modulusLength: info.modulusLength ?? 2048 })
      : await generateKeyPairAsync('ec', { namedCurve: info.curve ?? 'prime256v1' });
  return (pair.privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).toString('base64');
};

/** An RSA key pair to wrap imported key material (GetParametersForImport). */
export const generateWrappingKey = async (modulusLength: number): Promise<string> => {
  const pair = await generateKeyPairAsync('rsa', { modulusLength });
  return (pair.privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).toString('base64');
};

const privateKeys = new Map<string, KeyObject>();
/** Parses (once) a PKCS#8 private key held as base64. */
export const privateKeyOf = (material: string): KeyObject => {
  let key = privateKeys.get(material);
  if (!key) {
    key = createPrivateKey({ key: Buffer.from(material, 'base64'), format: 'der', type: 'pkcs8' });
    privateKeys.set(material, key);
  }
  return key;
};

/** DER SubjectPublicKeyInfo of an asymmetric key, as GetPublicKey returns it. */
export const publicKeyDer = (material: string): Buffer =>
  createPublicKey(privateKeyOf(material)).export({ format: 'der', type: 'spki' }) as Buffer;

/** A stable fingerprint of key material: reimport must bring the same material. */
export const fingerprint = (material: Buffer): string => createHash('sha256').update(material).digest('hex');

// ---------------------------------------------------------------------------------------------
// Symmetric ciphertext blobs

const MAGIC = Buffer.from('RKY1', 'latin1');

/** Canonical bytes of an encryption context: order of pairs does not matter, as on AWS. */
const contextBytes = (context: Record<string, string>): Buffer =>
  Buffer.from(
    JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    'utf8',
  );

/**
 * Encrypts under a symmetric key with AES-256-GCM. The blob names its key (`RKY1`, key id
 * length, key id, IV, tag, ciphertext) so Decrypt needs no KeyId, and authenticates the key id
 * and the encryption context, so a different context fails to decrypt.
 */
export const symmetricEncrypt = (
  keyId: string,
  material: string,
  plaintext: Buffer,
  context: Record<string, string>,
): Buffer => {
  const id = Buffer.from(keyId, 'latin1');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(material, 'base64'), iv);
  cipher.setAAD(Buffer.concat([id, contextBytes(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, Buffer.from([id.length]), id, iv, cipher.getAuthTag(), body]);
};

/** The key id a symmetric blob names, or undefined when the blob is not one of ours. */
export const blobKeyId = (blob: Buffer): string | undefined => {
  if (blob.length < MAGIC.length + 1 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const len = blob[MAGIC.length] ?? 0;
  const start = MAGIC.length + 1;
  if (len === 0 || blob.length < start + len + 28) return undefined;
  return blob.subarray(start, start + len).toString('latin1');
};

/** Decrypts a symmetric blob; undefined when it was altered or the context differs. */
export const symmetricDecrypt = (
  material: string,
  blob: Buffer,
  context: Record<string, string>,
): Buffer | undefined => {
  const keyId = blobKeyId(blob);
  if (keyId === undefined) return undefined;
  const idEnd = MAGIC.length + 1 + Buffer.byteLength(keyId, 'latin1');
  const iv = blob.subarray(idEnd, idEnd + 12);
  const tag = blob.subarray(idEnd + 12, idEnd + 28);
  try {
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(material, 'base64'), iv);
    decipher.setAAD(Buffer.concat([Buffer.from(keyId, 'latin1'), contextBytes(context)]));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(blob.subarray(idEnd + 28)), decipher.final()]);
  } catch {
    return undefined;
  }
};

// ---------------------------------------------------------------------------------------------
// RSA encryption

export const rsaEncrypt = (material: string, algorithm: string, plaintext: Buffer): Buffer =>
  publicEncrypt(
    {
      key: createPublicKey(privateKeyOf(material)),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: OAEP_HASH[algorithm],
    },
    plaintext,
  );

export const rsaDecrypt = (material: string, algorithm: string, ciphertext: Buffer): Buffer | undefined => {
  try {
    return privateDecrypt(
      {
        key: privateKeyOf(material),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: OAEP_HASH[algorithm],
      },
      ciphertext,
    );
  } catch {
    return undefined;
  }
};

// ---------------------------------------------------------------------------------------------
// Signatures

const DIGEST_INFO: Record<string, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

const mgf1 = (seed: Buffer, length: number, digest: string): Buffer => {
  const blocks: Buffer[] = [];
  for (let counter = 0; Buffer.concat(blocks).length < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(digest).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
};

const modulusBits = (key: KeyObject): number => key.asymmetricKeyDetails?.modulusLength ?? 2048;

/** EMSA-PSS-ENCODE (RFC 8017, 9.1.1) with salt length = hash length, as AWS KMS uses. */
const pssEncode = (mHash: Buffer, emBits: number, digest: string): Buffer => {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const hash = createHash(digest).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(hash, emLen - hLen - 1, digest);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & (0xff >> (8 * emLen - emBits));
  return Buffer.concat([db, hash, Buffer.from([0xbc])]);
};

/** EMSA-PSS-VERIFY (RFC 8017, 9.1.2) with salt length = hash length. */
const pssVerify = (mHash: Buffer, em: Buffer, emBits: number, digest: string): boolean => {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  if (em.length !== emLen || em[emLen - 1] !== 0xbc || emLen < 2 * hLen + 2) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const hash = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if (((db[0] ?? 0) & ~topMask) !== 0) return false;
  const mask = mgf1(hash, db.length, digest);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & topMask;
  const psLen = emLen - 2 * hLen - 2;
  if (db.subarray(0, psLen).some((b) => b !== 0) || db[psLen] !== 1) return false;
  const salt = db.subarray(db.length - hLen);
  const expected = createHash(digest).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return timingSafeEqual(expected, hash);
};

/** Left-pads to `length` bytes (raw RSA works on modulus-sized blocks). */
const leftPad = (buf: Buffer, length: number): Buffer =>
  buf.length >= length ? buf : Buffer.concat([Buffer.alloc(length - buf.length), buf]);

/**
 * Signs with an asymmetric key. `isDigest` is KMS `MessageType: DIGEST`: the message is already
 * the hash, so the signature scheme skips hashing (RSA by hand, ECDSA through `ecdsa.ts`, as Node only signs messages).
 */
export const signMessage = (
  material: string,
  algorithm: string,
  message: Buffer,
  isDigest: boolean,
): Buffer => {
  const hash = SIGNING_HASH[algorithm];
  if (!hash) throw new Error(`unknown signing algorithm ${algorithm}`);
  const key = privateKeyOf(material);
  if (!isDigest) {
    if (hash.ecdsa) return sign(hash.digest, message, key);
    return sign(hash.digest, message, {
      key,
      padding: hash.pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
      ...(hash.pss ? { saltLength: hash.length } : {}),
    });
  }
  if (hash.ecdsa) {
    return ecdsaSignDigest(key, message);
  }
  const bits = modulusBits(key);
  if (hash.pss) {
    const em = leftPad(pssEncode(message, bits - 1, hash.digest), bits / 8);
    return privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, em);
  }
  const info = Buffer.concat([Buffer.from(DIGEST_INFO[hash.digest] ?? '', 'hex'), message]);
  return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, info);
};

/** Verifies a signature made by `signMessage` or by anyone holding the private key. */
export const verifyMessage = (
  material: string,
  algorithm: string,
  message: Buffer,
  isDigest: boolean,
  signature: Buffer,
): boolean => {
  const hash = SIGNING_HASH[algorithm];
  if (!hash) return false;
  const key = createPublicKey(privateKeyOf(material));
  try {
    if (!isDigest) {
      if (hash.ecdsa) return verify(hash.digest, message, key, signature);
      return verify(
        hash.digest,
        message,
        {
          key,
          padding: hash.pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
          ...(hash.pss ? { saltLength: hash.length } : {}),
        },
        signature,
      );
    }
    if (hash.ecdsa) {
      return ecdsaVerifyDigest(key, message, signature);
    }
    const bits = modulusBits(key);
    if (signature.length !== bits / 8) return false;
    if (hash.pss) {
      const em = publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, signature);
      const emLen = Math.ceil((bits - 1) / 8);
      if (em.length > emLen && em.subarray(0, em.length - emLen).some((b) => b !== 0)) return false;
      return pssVerify(message, em.subarray(em.length - emLen), bits - 1, hash.digest);
    }
    const info = Buffer.concat([Buffer.from(DIGEST_INFO[hash.digest] ?? '', 'hex'), message]);
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return recovered.length === info.length && timingSafeEqual(recovered, info);
  } catch {
    // A malformed signature (wrong length, out of range) is simply not valid.
    return false;
  }
};

// ---------------------------------------------------------------------------------------------
// HMAC

export const hmac = (keySpec: string, material: string, message: Buffer): Buffer =>
  createHmac(specInfo(keySpec).hmac?.digest ?? 'sha256', Buffer.from(material, 'base64'))
    .update(message)
    .digest();

// ---------------------------------------------------------------------------------------------
// Imported key material

/**
 * Unwraps key material encrypted with a GetParametersForImport public key: RSAES_OAEP_* is
 * plain RSA-OAEP; RSA_AES_KEY_WRAP_* is an RSA-OAEP-wrapped AES-256 key followed by the
 * material wrapped with AES key wrap with padding (RFC 5649). Undefined when it does not unwrap.
 */
export const unwrapImportedMaterial = (
  wrappingKey: string,
  algorithm: string,
  encrypted: Buffer,
): Buffer | undefined => {
  const key = privateKeyOf(wrappingKey);
  const oaepHash = algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
  try {
    if (algorithm.startsWith('RSAES_OAEP')) {
      return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, encrypted);
    }
    const k = modulusBits(key) / 8;
    const aesKey = privateDecrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
      encrypted.subarray(0, k),
    );
    const decipher = createDecipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
    return Buffer.concat([decipher.update(encrypted.subarray(k)), decipher.final()]);
  } catch {
    return undefined;
  }
};

/**
 * Checks that imported material fits the key spec and returns it in the form the key keeps
 * (base64 raw secret, or base64 PKCS#8 DER), or a reason it does not fit.
 */
export const acceptImportedMaterial = (
  keySpec: string,
  material: Buffer,
): { material: string } | { reason: string } => {
  const info = specInfo(keySpec);
  if (info.kind === 'SYMMETRIC') {
    return material.length === 32
      ? { material: material.toString('base64') }
      : { reason: 'symmetric key material must be 256 bits (32 bytes)' };
  }
  if (info.kind === 'HMAC') {
    const range = info.hmac ?? { minBytes: 32, maxBytes: 64 };
    return material.length >= range.minBytes && material.length <= range.maxBytes
      ? { material: material.toString('base64') }
      : { reason: `${keySpec} key material must be ${range.minBytes} to ${range.maxBytes} bytes` };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
  } catch {
    return { reason: `${keySpec} key material must be a DER-encoded PKCS#8 private key` };
  }
  const details = key.asymmetricKeyDetails;
  const fits =
    info.kind === 'RSA'
      ? key.asymmetricKeyType === 'rsa' && details?.modulusLength === info.modulusLength
      : key.asymmetricKeyType === 'ec' && details?.namedCurve === info.curve;
  if (!fits) return { reason: `the private key is not a ${keySpec} key` };
  return { material: (key.export({ format: 'der', type: 'pkcs8' }) as Buffer).toString('base64') };
};
