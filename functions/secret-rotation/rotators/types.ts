import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '../../lib/logger.js';
import type { PasswordPolicy } from '../../lib/random-password.js';

/** One version of a secret as the protocol hands it to a rotator. Never log `secretString`. */
export interface SecretVersion {
  readonly versionId: string;
  readonly secretString: string;
}

/** What every rotator step receives. */
export interface RotatorContext {
  readonly secretArn: string;
  /** The rotation's ClientRequestToken, which is the pending version's id. */
  readonly token: string;
  /** The secret's tags (the rotator reads its options from `rekey:*` tags). */
  readonly tags: Readonly<Record<string, string>>;
  readonly secretsManager: SecretsManagerClient;
  readonly logger: Logger;
  /**
   * Reads another secret's AWSCURRENT value (for example the superuser secret named by
   * `masterarn`). Goes through the protocol so the call is counted and cached.
   */
  readonly getSecretValue: (secretId: string) => Promise<SecretVersion>;
  /**
   * The secret's other versions, for a rotator looking for the password a target really has
   * after other writers moved labels: every labelled version, then the most recent unlabelled
   * ones, newest first, leaving out `exclude` and any version that cannot be read. Optional: a
   * rotator must work without it. Costs one ListSecretVersionIds and a GetSecretValue per
   * version not cached, so call it only when the usual versions failed.
   */
  readonly otherVersions?: (exclude: readonly string[]) => Promise<SecretVersion[]>;
  /** A new random password under `policy` (length, excluded characters, required types). */
  readonly generatePassword: (policy: PasswordPolicy) => Promise<string>;
}

/** Password policy: the same parameters as Secrets Manager's GetRandomPassword. */
export type { PasswordPolicy };

/**
 * The target-specific half of a rotation. The protocol module owns every staging-label rule
 * and calls these in order; each must be idempotent, since Secrets Manager retries whole
 * rotations and any step may run twice.
 */
export interface Rotator {
  /** Short name for logs and benchmarks, e.g. `generated`, `postgres-single-user`. */
  readonly name: string;
  /**
   * Whether setSecret reads `previous` (AWSPREVIOUS). Optional, default true. A rotator that
   * never reads it sets false, which saves a GetSecretValue call in setSecret.
   */
  readonly usesPreviousVersion?: boolean;
  /**
   * createSecret: returns the SecretString for the pending version, derived from the current
   * one (same shape, new credential). Must validate the current value and throw a
   * `SecretFormatError` naming the field when it is malformed.
   *
   * Must not change the target (that is setSecret's job): the protocol may call it on a
   * retry when the pending version already has a value, and then discards the result
   * (PutSecretValue answers ResourceExistsException and the stored value is kept).
   */
  createPending(current: SecretVersion, ctx: RotatorContext): Promise<string>;
  /** setSecret: makes the target accept the pending credential. `previous` is AWSPREVIOUS if any. */
  setSecret(
    versions: { current: SecretVersion; pending: SecretVersion; previous?: SecretVersion },
    ctx: RotatorContext,
  ): Promise<void>;
  /**
   * testSecret: proves the pending credential works against the target. `current` is the
   * AWSCURRENT version (always given by the protocol; optional so older rotators still fit).
   */
  testSecret(
    versions: { pending: SecretVersion; current?: SecretVersion },
    ctx: RotatorContext,
  ): Promise<void>;
  /**
   * finishSecret, before AWSCURRENT moves: target clean-up (e.g. remove an old Redis
   * password). Optional. Must tolerate having run already.
   */
  finishSecret?(
    versions: { current: SecretVersion; pending: SecretVersion },
    ctx: RotatorContext,
  ): Promise<void>;
  /**
   * finishSecret, after AWSCURRENT moved: retires the credential that was current (e.g.
   * deactivates the previous IAM access key). Optional. `previous` was AWSCURRENT before the
   * move, `current` is the version that now holds it. Must tolerate having run already.
   */
  afterFinish?(
    versions: { previous: SecretVersion; current: SecretVersion },
    ctx: RotatorContext,
  ): Promise<void>;
}
