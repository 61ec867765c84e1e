import { randomBytes } from 'node:crypto';
import { AwsError } from '../../aws-error.js';
import type { RequestContext } from '../../types.js';
import {
  acceptImportedMaterial,
  fingerprint,
  generateWrappingKey,
  publicKeyDer,
  unwrapImportedMaterial,
} from './crypto.js';
import { type Input, optEnum, optTimestamp, reqBlob, reqString, validation } from './input.js';
import { requireNotPendingDeletion } from './key-states.js';
import { DAY_MS, type ImportParameters, type KeyRecord, type KmsModel } from './model.js';
import { b64, keyFrom, type Operations, seconds } from './operation.js';
import { WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS } from './specs.js';

/**
 * Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial and
 * DeleteImportedKeyMaterial, with the rules of "Importing key material" in the KMS Developer
 * Guide: 24-hour import tokens, ValidTo at most 365 days ahead, and a key (and every copy of a
 * multi-Region key) only ever taking the same material again.
 */

/** The public key and import token are valid for 24 hours. */
const IMPORT_TOKEN_MS = DAY_MS;
/** Import parameters a key keeps (unexpired ones); older ones are dropped first. */
const KEPT_IMPORT_PARAMETERS = 5;

const externalKey = (model: KmsModel, input: Input, ctx: RequestContext, operation: string): KeyRecord => {
  const key = keyFrom(model, ctx, input, 'KeyId');
  if (key.Origin !== 'EXTERNAL') {
    throw new AwsError(
      'UnsupportedOperationException',
      `${key.Arn} has origin ${key.Origin}: ${operation} works only on keys created with Origin EXTERNAL.`,
    );
  }
  requireNotPendingDeletion(key);
  return key;
};

/** ValidTo rules of ImportKeyMaterial for each ExpirationModel. */
export const checkValidTo = (
  model: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  validTo: number | undefined,
  now: number,
): void => {
  if (model === 'KEY_MATERIAL_EXPIRES') {
    if (validTo === undefined)
      throw validation('ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.');
    if (validTo <= now || validTo > now + 365 * DAY_MS) {
      throw validation('ValidTo must be in the future and at most 365 days from now.');
    }
  } else if (validTo !== undefined) {
    throw validation('Omit ValidTo when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.');
  }
};

/** The import parameters an ImportToken belongs to, while they are valid. */
export const importParametersFor = (key: KeyRecord, token: Buffer, now: number): ImportParameters => {
  const params = key.ImportParameters.find((p) => Buffer.from(p.ImportToken, 'base64').equals(token));
  if (!params) {
    throw new AwsError(
      'InvalidImportTokenException',
      `ImportToken is not one GetParametersForImport returned for ${key.Arn}.`,
    );
  }
  if (params.ParametersValidTo <= now) {
    throw new AwsError(
      'ExpiredImportTokenException',
      'The import token and public key have expired (24 hours); call GetParametersForImport again.',
    );
  }
  return params;
};

/** Every copy of a (multi-Region) key holds the same material; a reimport must match it. */
export const requireSameMaterial = (model: KmsModel, key: KeyRecord, print: string): void => {
  const known = model.relatedKeys(key).find((k) => k.ImportedFingerprint)?.ImportedFingerprint;
  if (known !== undefined && known !== print) {
    throw new AwsError(
      'IncorrectKeyMaterialException',
      `The key material is not the material previously imported into ${key.KeyId}; a key can only receive the same material again.`,
    );
  }
};

export const importOperations: Operations = {
  async GetParametersForImport(model, input, ctx) {
    const key = externalKey(model, input, ctx, 'GetParametersForImport');
    const algorithm = reqString(input, 'WrappingAlgorithm');
    if (!(WRAPPING_ALGORITHMS as readonly string[]).includes(algorithm)) {
      throw validation(
        `WrappingAlgorithm ${algorithm} is not available locally (RSAES_PKCS1_V1_5 is deprecated, SM2PKE is China-only); use one of ${WRAPPING_ALGORITHMS.join(', ')}.`,
      );
    }
    const spec = reqString(input, 'WrappingKeySpec');
    const bits = WRAPPING_KEY_SPECS[spec];
    if (!bits) throw validation(`WrappingKeySpec ${spec} is not valid; use RSA_2048, RSA_3072 or RSA_4096.`);
    const wrappingKey = await generateWrappingKey(bits);
    const now = ctx.now.getTime();
    const params = {
      ImportToken: randomBytes(64).toString('base64'),
      WrappingKey: wrappingKey,
      WrappingAlgorithm: algorithm,
      ParametersValidTo: now + IMPORT_TOKEN_MS,
    };
    key.ImportParameters = [
      ...key.ImportParameters.filter((p) => p.ParametersValidTo > now).slice(-(KEPT_IMPORT_PARAMETERS - 1)),
      params,
    ];
    return {
      KeyId: key.Arn,
      ImportToken: params.ImportToken,
      PublicKey: b64(publicKeyDer(wrappingKey)),
      ParametersValidTo: seconds(params.ParametersValidTo),
    };
  },

  ImportKeyMaterial(model, input, ctx) {
    const key = externalKey(model, input, ctx, 'ImportKeyMaterial');
    const token = reqBlob(input, 'ImportToken', 1, 6144);
    const encrypted = reqBlob(input, 'EncryptedKeyMaterial', 1, 6144);
    const expiration =
      optEnum(input, 'ExpirationModel', ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'] as const) ??
      'KEY_MATERIAL_EXPIRES';
    const validTo = optTimestamp(input, 'ValidTo');
    const now = ctx.now.getTime();
    checkValidTo(expiration, validTo, now);
    const params = importParametersFor(key, token, now);
    const raw = unwrapImportedMaterial(params.WrappingKey, params.WrappingAlgorithm, encrypted);
    if (!raw) {
      throw new AwsError(
        'InvalidCiphertextException',
        `EncryptedKeyMaterial does not unwrap with the public key and ${params.WrappingAlgorithm} of this import token.`,
      );
    }
    const accepted = acceptImportedMaterial(key.KeySpec, raw);
    if ('reason' in accepted) {
      throw new AwsError(
        'IncorrectKeyMaterialException',
        `The key material does not fit ${key.Arn}: ${accepted.reason}.`,
      );
    }
    const print = fingerprint(Buffer.from(accepted.material, 'base64'));
    requireSameMaterial(model, key, print);
    key.Material = accepted.material;
    key.ImportedFingerprint = print;
    key.ExpirationModel = expiration;
    if (validTo !== undefined) key.ValidTo = validTo;
    else delete key.ValidTo;
    if (key.KeyState === 'PendingImport') key.KeyState = 'Enabled';
    return { KeyId: key.Arn };
  },

  DeleteImportedKeyMaterial(model, input, ctx) {
    const key = externalKey(model, input, ctx, 'DeleteImportedKeyMaterial');
    delete key.Material;
    delete key.ValidTo;
    delete key.ExpirationModel;
    key.KeyState = 'PendingImport';
    return { KeyId: key.Arn };
  },
};
