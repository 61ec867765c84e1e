import { randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  EncryptCommand,
  GenerateMacCommand,
  type KeyMetadata,
  type KMSClient,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { messageOf } from '../lib/errors.js';
import { allowingPropagation } from './access.js';
import type { KeyRotationClients } from './clients.js';
import { KeyRotationError, SuccessorNotReadyError, SuccessorVerificationError } from './errors.js';
import { describeKeyOrUndefined } from './kms.js';
import type { RegionalKey, SuccessorKey } from './types.js';

/** One proven round trip. */
export interface VerificationCheck {
  region: string;
  operation: 'encrypt-decrypt' | 'sign-verify' | 'generate-verify-mac';
  algorithm: string;
}

export interface VerificationResult {
  verifiedAt: string;
  checks: VerificationCheck[];
}

const fail = (key: RegionalKey, what: string, error?: unknown): never => {
  // Never wrap our own errors twice, and never include the test data: it is random, but
  // plaintext has no place in an error message.
  if (error instanceof KeyRotationError) throw error;
  // A denial is not a broken key: verifySuccessor tells a fresh key's pending authorization from a real denial.
  if (error instanceof Error && error.name === 'AccessDeniedException') throw error;
  throw new SuccessorVerificationError(
    `Successor ${key.keyArn} failed verification in ${key.region}: ${what}${error ? ` (${messageOf(error)})` : ''}.`,
    error ? { cause: error } : undefined,
  );
};

const verifyEncryption = async (
  kms: KMSClient,
  key: RegionalKey,
  meta: KeyMetadata,
): Promise<VerificationCheck[]> => {
  const checks: VerificationCheck[] = [];
  for (const algorithm of meta.EncryptionAlgorithms ?? []) {
    const plaintext = randomBytes(32);
    try {
      const symmetric = algorithm === 'SYMMETRIC_DEFAULT';
      const context = symmetric ? { purpose: 'rekey-successor-verification' } : undefined;
      const { CiphertextBlob } = await kms.send(
        new EncryptCommand({
          KeyId: key.keyArn,
          Plaintext: plaintext,
          EncryptionAlgorithm: algorithm,
          EncryptionContext: context,
        }),
      );
      const decrypted = await kms.send(
        new DecryptCommand({
          KeyId: key.keyArn,
          CiphertextBlob,
          EncryptionAlgorithm: algorithm,
          EncryptionContext: context,
        }),
      );
      if (!decrypted.Plaintext || !Buffer.from(decrypted.Plaintext).equals(plaintext)) {
        fail(key, `Decrypt with ${algorithm} did not return what Encrypt was given`);
      }
    } catch (error) {
      fail(key, `encrypt/decrypt with ${algorithm} failed`, error);
    }
    checks.push({ region: key.region, operation: 'encrypt-decrypt', algorithm });
  }
  return checks;
};

const verifySigning = async (
  kms: KMSClient,
  key: RegionalKey,
  meta: KeyMetadata,
): Promise<VerificationCheck[]> => {
  const checks: VerificationCheck[] = [];
  for (const algorithm of meta.SigningAlgorithms ?? []) {
    const message = randomBytes(64);
    try {
      const { Signature } = await kms.send(
        new SignCommand({
          KeyId: key.keyArn,
          Message: message,
          MessageType: 'RAW',
          SigningAlgorithm: algorithm,
        }),
      );
      const verified = await kms.send(
        new VerifyCommand({
          KeyId: key.keyArn,
          Message: message,
          MessageType: 'RAW',
          Signature,
          SigningAlgorithm: algorithm,
        }),
      );
      if (verified.SignatureValid !== true) fail(key, `a ${algorithm} signature did not verify`);
    } catch (error) {
      fail(key, `sign/verify with ${algorithm} failed`, error);
    }
    checks.push({ region: key.region, operation: 'sign-verify', algorithm });
  }
  return checks;
};

const verifyMac = async (
  kms: KMSClient,
  key: RegionalKey,
  meta: KeyMetadata,
): Promise<VerificationCheck[]> => {
  const checks: VerificationCheck[] = [];
  for (const algorithm of meta.MacAlgorithms ?? []) {
    const message = randomBytes(64);
    try {
      const { Mac } = await kms.send(
        new GenerateMacCommand({ KeyId: key.keyArn, Message: message, MacAlgorithm: algorithm }),
      );
      const verified = await kms.send(
        new VerifyMacCommand({ KeyId: key.keyArn, Message: message, Mac, MacAlgorithm: algorithm }),
      );
      if (verified.MacValid !== true) fail(key, `a ${algorithm} MAC did not verify`);
    } catch (error) {
      fail(key, `generate/verify MAC with ${algorithm} failed`, error);
    }
    checks.push({ region: key.region, operation: 'generate-verify-mac', algorithm });
  }
  return checks;
};

/**
 * Step 3, Verify Successor Key: proves the successor works before anything depends on it,
 * with a round trip for every algorithm it supports (encrypt/decrypt, sign/verify or
 * generate/verify MAC), in every Region. A replica still being created raises
 * SuccessorNotReadyError, which the state machine retries.
 */
export const verifySuccessor = async (
  clients: KeyRotationClients,
  successor: SuccessorKey,
): Promise<VerificationResult> => {
  const keys: RegionalKey[] = [{ region: successor.region, keyArn: successor.keyArn }, ...successor.replicas];
  const checks: VerificationCheck[] = [];
  for (const key of keys) {
    const kms = clients.kms(key.region);
    const meta = await describeKeyOrUndefined(kms, key.keyArn);
    if (meta?.KeyState === 'Creating') {
      throw new SuccessorNotReadyError(`Successor ${key.keyArn} is still being created in ${key.region}.`);
    }
    if (meta?.KeyState !== 'Enabled') {
      fail(key, meta ? `the key is ${meta.KeyState}, not Enabled` : 'the key does not exist');
      continue;
    }
    const found = await allowingPropagation(
      successor.createdAt,
      clients.now(),
      `Verifying ${key.keyArn}`,
      async () => [
        ...(await verifyEncryption(kms, key, meta)),
        ...(await verifySigning(kms, key, meta)),
        ...(await verifyMac(kms, key, meta)),
      ],
    );
    if (found.length === 0) fail(key, `it lists no algorithm for key usage ${meta.KeyUsage}`);
    checks.push(...found);
  }
  return { verifiedAt: clients.now().toISOString(), checks };
};
