import type { AuthorizationRequest } from './evaluate.js';

/** A Secrets Manager call on a secret, from which the KMS call it makes on the caller's behalf follows. */
export interface SecretKeyUse {
  /** Secrets Manager operation, e.g. `GetSecretValue`. */
  readonly operation: string;
  readonly secretArn: string;
  /** The version read or written: part of the encryption context. */
  readonly versionId: string;
  /** The secret's customer managed key ARN; undefined for the AWS managed key `aws/secretsmanager`. */
  readonly kmsKeyArn: string | undefined;
  readonly region: string;
  readonly caller: Pick<AuthorizationRequest, 'principalArn' | 'principalAccount' | 'principalAliases'>;
}

// Reading a value decrypts its data key; writing one asks for a new data key (Secrets Manager
// user guide, "Secret encryption and decryption in AWS Secrets Manager": "How Secrets Manager
// uses your KMS key").
const KMS_ACTION: Record<string, string> = {
  GetSecretValue: 'kms:Decrypt',
  BatchGetSecretValue: 'kms:Decrypt',
  PutSecretValue: 'kms:GenerateDataKey',
  CreateSecret: 'kms:GenerateDataKey',
  UpdateSecret: 'kms:GenerateDataKey',
};

/**
 * The KMS request Secrets Manager makes, as the caller, when an operation reads or writes the
 * value of a secret under a customer managed key: `kms:Decrypt` or `kms:GenerateDataKey` on the
 * key, with `kms:ViaService` naming Secrets Manager in the Region and the encryption context
 * `SecretARN` and `SecretVersionId`. Undefined when the operation touches no value or the secret
 * uses the AWS managed key, whose key policy lets every principal of the account use it through
 * Secrets Manager.
 */
export const secretKeyRequest = (use: SecretKeyUse): AuthorizationRequest | undefined => {
  const action = KMS_ACTION[use.operation];
  if (action === undefined || use.kmsKeyArn === undefined) return undefined;
  return {
    ...use.caller,
    action,
    resource: use.kmsKeyArn,
    context: {
      'kms:ViaService': `secretsmanager.${use.region}.amazonaws.com`,
      'kms:CallerAccount': use.caller.principalAccount,
      'kms:EncryptionContext:SecretARN': use.secretArn,
      'kms:EncryptionContext:SecretVersionId': use.versionId,
      'kms:EncryptionContextKeys': ['SecretARN', 'SecretVersionId'],
    },
  };
};
