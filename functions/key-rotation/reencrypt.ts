import { createHash } from 'node:crypto';
import { ReEncryptCommand } from '@aws-sdk/client-kms';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { messageOf } from '../lib/errors.js';
import { allowingPropagation } from './access.js';
import type { KeyRotationClients } from './clients.js';
import { KeyAuthorizationPendingError, ReEncryptionError } from './errors.js';
import type { ExecutionRef, KeyPlan, SuccessorKey } from './types.js';

export interface ReEncryptionResult {
  count: number;
  /** Input-list mode: the re-encrypted ciphertexts (base64), in input order. */
  ciphertexts?: string[];
  /** Secret mode: the new secret version that holds the re-encrypted list. */
  secretId?: string;
  versionId?: string;
}

/** A ClientRequestToken that is the same on every attempt of one execution (32-64 characters). */
export const reencryptToken = (execution: ExecutionRef): string =>
  createHash('sha256').update(`rekey-reencrypt:${execution.id}`).digest('hex').slice(0, 64);

const reencryptAll = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  successor: SuccessorKey,
  ciphertexts: readonly string[],
  swappedAt: string | undefined,
): Promise<string[]> => {
  const kms = clients.kms(plan.region);
  const out: string[] = [];
  for (const [index, ciphertext] of ciphertexts.entries()) {
    try {
      // Right after the swap the successor is reached through the managed alias, and the old key
      // through its new retiring alias: KMS may need minutes to authorize by them.
      const result = await allowingPropagation(
        swappedAt,
        clients.now(),
        `ReEncrypt to ${successor.keyArn}`,
        () =>
          kms.send(
            new ReEncryptCommand({
              CiphertextBlob: Buffer.from(ciphertext, 'base64'),
              // Symmetric ciphertexts name their key, so KMS finds the source key itself.
              DestinationKeyId: successor.keyArn,
            }),
          ),
      );
      if (!result.CiphertextBlob) throw new Error('ReEncrypt returned no ciphertext');
      out.push(Buffer.from(result.CiphertextBlob).toString('base64'));
    } catch (error) {
      if (error instanceof KeyAuthorizationPendingError) throw error;
      throw new ReEncryptionError(
        `Ciphertext #${index} could not be re-encrypted under ${successor.keyArn}: ${messageOf(error)}`,
        { cause: error },
      );
    }
  }
  return out;
};

/**
 * Optional step, Re-encrypt Ciphertexts: ReEncrypt (KMS decrypts and encrypts inside the
 * service, so no plaintext reaches this function) each caller-supplied ciphertext under the
 * successor. A list in the input comes back in the output; a secret holding a JSON list gets a
 * new version (AWSCURRENT) with the results, written with a token fixed per execution so a
 * retry does not write a second version.
 */
export const reencryptCiphertexts = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  successor: SuccessorKey,
  execution: ExecutionRef,
  /** When the alias moved to the successor (bounds the wait for authorization to follow it). */
  swappedAt?: string,
): Promise<ReEncryptionResult> => {
  const request = plan.reencrypt;
  if (!request) return { count: 0 };
  if (request.ciphertexts) {
    const ciphertexts = await reencryptAll(clients, plan, successor, request.ciphertexts, swappedAt);
    return { count: ciphertexts.length, ciphertexts };
  }
  const secretId = request.secretId ?? '';
  const token = reencryptToken(execution);
  try {
    const done = await clients.secrets.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionId: token }),
    );
    // An earlier attempt of this execution already wrote the version.
    const list = JSON.parse(done.SecretString ?? '[]') as unknown[];
    return { count: list.length, secretId, versionId: token };
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const current = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  let list: unknown;
  try {
    list = JSON.parse(current.SecretString ?? '');
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || !list.every((c) => typeof c === 'string')) {
    throw new ReEncryptionError(
      `Secret ${secretId} must hold a JSON array of base64 ciphertexts in its SecretString (the value is not shown).`,
    );
  }
  const ciphertexts = await reencryptAll(clients, plan, successor, list as string[], swappedAt);
  const put = await clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: JSON.stringify(ciphertexts),
    }),
  );
  return { count: ciphertexts.length, secretId, versionId: put.VersionId ?? token };
};
