import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AwsError } from '../../aws-error.js';
import type { RequestContext } from '../../types.js';
import {
  blobKeyId,
  hmac,
  publicKeyDer,
  rsaDecrypt,
  rsaEncrypt,
  signMessage,
  symmetricDecrypt,
  symmetricEncrypt,
  verifyMessage,
} from './crypto.js';
import {
  encryptionContext,
  type Input,
  optEnum,
  optInt,
  optString,
  reqBlob,
  reqString,
  validation,
} from './input.js';
import {
  algorithmsOf,
  requireAlgorithm,
  requireMaterial,
  requireUsable,
  requireUsage,
} from './key-states.js';
import { type KeyRecord, type KmsModel, keyType } from './model.js';
import { b64, dryRun, keyFrom, type Operations } from './operation.js';
import { KEY_SPECS, maxOaepPlaintext, OAEP_HASH, SIGNING_HASH } from './specs.js';

/**
 * Wire-facing cryptographic operations: encryption, data keys, signatures, MACs and public
 * keys. Keys must be usable (key state), of the right key usage and spec for the algorithm; the
 * cryptography itself is in `crypto.ts`.
 */

const encryptWith = (
  key: KeyRecord,
  plaintext: Buffer,
  context: Record<string, string>,
  algorithm: string,
): Buffer => {
  requireUsable(key);
  requireUsage(key, 'ENCRYPT_DECRYPT', 'Encrypt');
  requireAlgorithm(key, algorithm, 'EncryptionAlgorithm');
  const material = requireMaterial(key);
  if (algorithm === 'SYMMETRIC_DEFAULT') return symmetricEncrypt(key.KeyId, material, plaintext, context);
  if (Object.keys(context).length > 0) {
    throw validation(
      'EncryptionContext is supported only with symmetric encryption KMS keys; omit it for RSA keys.',
    );
  }
  const bits = KEY_SPECS[key.KeySpec]?.modulusLength ?? 2048;
  const max = maxOaepPlaintext(bits, OAEP_HASH[algorithm] ?? 'sha256');
  if (plaintext.length > max) {
    throw validation(
      `Plaintext is ${plaintext.length} bytes; ${algorithm} with ${key.KeySpec} encrypts at most ${max} bytes.`,
    );
  }
  return rsaEncrypt(material, algorithm, plaintext);
};

/** Decrypts a blob; `keyField` is the optional identifier field (KeyId or SourceKeyId). */
const decryptWith = (
  model: KmsModel,
  ctx: RequestContext,
  blob: Buffer,
  context: Record<string, string>,
  keyIdInput: string | undefined,
  keyField: string,
  algorithm: string,
): { key: KeyRecord; plaintext: Buffer } => {
  const named =
    keyIdInput === undefined ? undefined : model.resolve(ctx, keyIdInput, keyField, { alias: true });
  // An asymmetric key named with the symmetric default: the algorithm is what is wrong.
  if (named && algorithm === 'SYMMETRIC_DEFAULT') requireAlgorithm(named, algorithm, 'EncryptionAlgorithm');
  if (algorithm === 'SYMMETRIC_DEFAULT') {
    const blobId = blobKeyId(blob);
    if (blobId === undefined) {
      throw new AwsError(
        'InvalidCiphertextException',
        'The ciphertext is not a KMS ciphertext blob or was altered.',
      );
    }
    if (named && named.KeyId !== blobId) {
      throw new AwsError(
        'IncorrectKeyException',
        `The ciphertext was encrypted under key ${blobId}, not under ${named.Arn} named in ${keyField}.`,
      );
    }
    const key = named ?? model.resolve(ctx, blobId, keyField);
    requireUsable(key);
    requireUsage(key, 'ENCRYPT_DECRYPT', 'Decrypt');
    requireAlgorithm(key, algorithm, 'EncryptionAlgorithm');
    // The newest material first, then the material earlier rotations replaced.
    let plaintext: Buffer | undefined;
    for (const material of [requireMaterial(key), ...(key.PreviousMaterials ?? [])]) {
      plaintext = symmetricDecrypt(material, blob, context);
      if (plaintext) break;
    }
    if (!plaintext) {
      throw new AwsError(
        'InvalidCiphertextException',
        'The ciphertext could not be decrypted: it was altered, or the encryption context differs from the one used to encrypt.',
      );
    }
    return { key, plaintext };
  }
  if (!named) {
    throw validation(`${keyField} is required to decrypt with ${algorithm}: name the asymmetric KMS key.`);
  }
  requireUsable(named);
  requireUsage(named, 'ENCRYPT_DECRYPT', 'Decrypt');
  requireAlgorithm(named, algorithm, 'EncryptionAlgorithm');
  const plaintext = rsaDecrypt(requireMaterial(named), algorithm, blob);
  if (!plaintext) {
    throw new AwsError(
      'InvalidCiphertextException',
      `The ciphertext could not be decrypted with ${named.Arn} and ${algorithm}.`,
    );
  }
  return { key: named, plaintext };
};

const generateDataKey = (model: KmsModel, input: Input, ctx: RequestContext, withPlaintext: boolean) => {
  const key = keyFrom(model, ctx, input, 'KeyId', { alias: true });
  const spec = optEnum(input, 'KeySpec', ['AES_256', 'AES_128']);
  const count = optInt(input, 'NumberOfBytes', 1, 1024);
  if ((spec === undefined) === (count === undefined)) {
    throw validation(
      'Specify either KeySpec (AES_128 or AES_256) or NumberOfBytes (1-1024), not both and not neither.',
    );
  }
  requireUsable(key);
  if (keyType(key) !== 'SYMMETRIC') {
    throw new AwsError(
      'InvalidKeyUsageException',
      `${key.Arn} is ${key.KeySpec}: data keys are generated only under symmetric encryption KMS keys.`,
    );
  }
  const plaintext = randomBytes(count ?? (spec === 'AES_128' ? 16 : 32));
  const blob = encryptWith(
    key,
    plaintext,
    encryptionContext(input, 'EncryptionContext'),
    'SYMMETRIC_DEFAULT',
  );
  dryRun(input);
  return withPlaintext
    ? { CiphertextBlob: b64(blob), Plaintext: b64(plaintext), KeyId: key.Arn }
    : { CiphertextBlob: b64(blob), KeyId: key.Arn };
};

const signingInput = (model: KmsModel, input: Input, ctx: RequestContext, operation: string) => {
  const key = keyFrom(model, ctx, input, 'KeyId', { alias: true });
  const message = reqBlob(input, 'Message', 1, 4096);
  const messageType = optEnum(input, 'MessageType', ['RAW', 'DIGEST']) ?? 'RAW';
  const algorithm = reqString(input, 'SigningAlgorithm');
  requireUsable(key);
  requireUsage(key, 'SIGN_VERIFY', operation);
  requireAlgorithm(key, algorithm, 'SigningAlgorithm');
  const hash = SIGNING_HASH[algorithm];
  if (messageType === 'DIGEST' && message.length !== hash?.length) {
    throw validation(
      `With MessageType DIGEST, Message must be a ${hash?.length}-byte ${hash?.digest.toUpperCase()} digest for ${algorithm} (got ${message.length} bytes).`,
    );
  }
  return { key, message, isDigest: messageType === 'DIGEST', algorithm, material: requireMaterial(key) };
};

const macInput = (model: KmsModel, input: Input, ctx: RequestContext, operation: string) => {
  const key = keyFrom(model, ctx, input, 'KeyId', { alias: true });
  const message = reqBlob(input, 'Message', 1, 4096);
  const algorithm = reqString(input, 'MacAlgorithm');
  requireUsable(key);
  requireUsage(key, 'GENERATE_VERIFY_MAC', operation);
  requireAlgorithm(key, algorithm, 'MacAlgorithm');
  return { key, algorithm, mac: hmac(key.KeySpec, requireMaterial(key), message) };
};

export const cryptoOperations: Operations = {
  Encrypt(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId', { alias: true });
    const plaintext = reqBlob(input, 'Plaintext', 1, 4096);
    const context = encryptionContext(input, 'EncryptionContext');
    const algorithm = optString(input, 'EncryptionAlgorithm') ?? 'SYMMETRIC_DEFAULT';
    const blob = encryptWith(key, plaintext, context, algorithm);
    dryRun(input);
    return { CiphertextBlob: b64(blob), KeyId: key.Arn, EncryptionAlgorithm: algorithm };
  },

  Decrypt(model, input, ctx) {
    const blob = reqBlob(input, 'CiphertextBlob', 1, 6144);
    const algorithm = optString(input, 'EncryptionAlgorithm') ?? 'SYMMETRIC_DEFAULT';
    const { key, plaintext } = decryptWith(
      model,
      ctx,
      blob,
      encryptionContext(input, 'EncryptionContext'),
      optString(input, 'KeyId'),
      'KeyId',
      algorithm,
    );
    dryRun(input);
    return { KeyId: key.Arn, Plaintext: b64(plaintext), EncryptionAlgorithm: algorithm };
  },

  ReEncrypt(model, input, ctx) {
    const blob = reqBlob(input, 'CiphertextBlob', 1, 6144);
    const sourceAlgorithm = optString(input, 'SourceEncryptionAlgorithm') ?? 'SYMMETRIC_DEFAULT';
    const destinationAlgorithm = optString(input, 'DestinationEncryptionAlgorithm') ?? 'SYMMETRIC_DEFAULT';
    const destination = keyFrom(model, ctx, input, 'DestinationKeyId', { alias: true });
    const { key: source, plaintext } = decryptWith(
      model,
      ctx,
      blob,
      encryptionContext(input, 'SourceEncryptionContext'),
      optString(input, 'SourceKeyId'),
      'SourceKeyId',
      sourceAlgorithm,
    );
    const out = encryptWith(
      destination,
      plaintext,
      encryptionContext(input, 'DestinationEncryptionContext'),
      destinationAlgorithm,
    );
    dryRun(input);
    return {
      CiphertextBlob: b64(out),
      SourceKeyId: source.Arn,
      KeyId: destination.Arn,
      SourceEncryptionAlgorithm: sourceAlgorithm,
      DestinationEncryptionAlgorithm: destinationAlgorithm,
    };
  },

  GenerateDataKey: (model, input, ctx) => generateDataKey(model, input, ctx, true),
  GenerateDataKeyWithoutPlaintext: (model, input, ctx) => generateDataKey(model, input, ctx, false),
  GenerateRandom: (_model, input) => ({
    Plaintext: b64(randomBytes(optInt(input, 'NumberOfBytes', 1, 1024) ?? 32)),
  }),

  Sign(model, input, ctx) {
    const { key, message, isDigest, algorithm, material } = signingInput(model, input, ctx, 'Sign');
    dryRun(input);
    return {
      KeyId: key.Arn,
      Signature: b64(signMessage(material, algorithm, message, isDigest)),
      SigningAlgorithm: algorithm,
    };
  },

  Verify(model, input, ctx) {
    const { key, message, isDigest, algorithm, material } = signingInput(model, input, ctx, 'Verify');
    const signature = reqBlob(input, 'Signature', 1, 6144);
    dryRun(input);
    if (!verifyMessage(material, algorithm, message, isDigest, signature)) {
      throw new AwsError(
        'KMSInvalidSignatureException',
        'The signature verification failed: the signature does not match the message, key and signing algorithm.',
      );
    }
    return { KeyId: key.Arn, SignatureValid: true, SigningAlgorithm: algorithm };
  },

  GenerateMac(model, input, ctx) {
    const { key, algorithm, mac } = macInput(model, input, ctx, 'GenerateMac');
    dryRun(input);
    return { Mac: b64(mac), MacAlgorithm: algorithm, KeyId: key.Arn };
  },

  VerifyMac(model, input, ctx) {
    const { key, algorithm, mac } = macInput(model, input, ctx, 'VerifyMac');
    const given = reqBlob(input, 'Mac', 1, 6144);
    dryRun(input);
    if (given.length !== mac.length || !timingSafeEqual(given, mac)) {
      throw new AwsError(
        'KMSInvalidMacException',
        'The MAC verification failed: the MAC does not match the message and key.',
      );
    }
    return { KeyId: key.Arn, MacValid: true, MacAlgorithm: algorithm };
  },

  GetPublicKey(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId', { alias: true });
    if (keyType(key) !== 'ASYMMETRIC') {
      throw new AwsError(
        'UnsupportedOperationException',
        `${key.Arn} is ${key.KeySpec}: GetPublicKey works only on asymmetric KMS keys.`,
      );
    }
    requireUsable(key);
    const material = requireMaterial(key);
    return {
      KeyId: key.Arn,
      PublicKey: b64(publicKeyDer(material)),
      CustomerMasterKeySpec: key.KeySpec,
      KeySpec: key.KeySpec,
      KeyUsage: key.KeyUsage,
      ...(key.KeyUsage === 'ENCRYPT_DECRYPT'
        ? { EncryptionAlgorithms: [...algorithmsOf(key)] }
        : { SigningAlgorithms: [...algorithmsOf(key)] }),
    };
  },
};
