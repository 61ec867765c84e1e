import {
  type AccessKeyMetadata,
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  NoSuchEntityException,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientBeside } from '../../lib/aws.js';
import { RotationConfigurationError, SecretFormatError, SecretTestFailedError } from '../errors.js';
import { parseJsonObject, requireStringField, tryParseJsonObject } from './secret-format.js';
import type { Rotator, RotatorContext, SecretVersion } from './types.js';

/**
 * IAM user access keys (docs/iam-access-keys.md). Secret format:
 * `{"UserName": "...", "AccessKeyId": "...", "SecretAccessKey": "..."}` (other fields are kept).
 *
 * - createSecret: creates the user's second key and stores it as AWSPENDING. An IAM user has at
 *   most two keys; when the other slot is taken, the key not in AWSCURRENT is deleted first, but
 *   only when it is inactive or was created by rekey (user tag `<AccessKeyId>` = `rekey:...`,
 *   the tag the IAM console shows as the key's description); otherwise the step fails naming it.
 *   A retry reuses the key already stored in AWSPENDING instead of creating another.
 * - setSecret: nothing to do (the key exists as soon as IAM created it).
 * - testSecret: STS GetCallerIdentity signed with the new key must answer the user's ARN.
 * - after AWSCURRENT moved (afterFinish): the previous key is deactivated, not deleted, so it can
 *   be re-activated if something still needs it; the next rotation deletes it.
 */

/** Value of the user tag rekey puts on each key it creates (tag key: the access key id). */
export const CREATED_BY_REKEY = 'rekey:';
const FIX =
  'Store {"UserName": "<IAM user>", "AccessKeyId": "<its current key id>", "SecretAccessKey": "<its secret>"} (see docs/iam-access-keys.md).';

export interface IamKeySecret {
  readonly UserName: string;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly fields: Record<string, unknown>;
}

/** Parses and checks a version's value; errors name the field, never the value. */
export const parseIamKeySecret = (text: string, what: string): IamKeySecret => {
  const fields = parseJsonObject(text, what, FIX);
  const UserName = requireStringField(fields, 'UserName', what, FIX);
  const AccessKeyId = requireStringField(fields, 'AccessKeyId', what, FIX);
  const SecretAccessKey = requireStringField(fields, 'SecretAccessKey', what, FIX);
  if (!/^[\w+=,.@-]{1,64}$/.test(UserName)) {
    throw new SecretFormatError(`Field "UserName" of ${what} is not a valid IAM user name. ${FIX}`, {
      field: 'UserName',
    });
  }
  if (!/^\w{16,128}$/.test(AccessKeyId)) {
    throw new SecretFormatError(`Field "AccessKeyId" of ${what} is not an access key id (AKIA...). ${FIX}`, {
      field: 'AccessKeyId',
    });
  }
  if (SecretAccessKey === '') {
    throw new SecretFormatError(`Field "SecretAccessKey" of ${what} is empty. ${FIX}`, {
      field: 'SecretAccessKey',
    });
  }
  return { UserName, AccessKeyId, SecretAccessKey, fields };
};

export interface IamKeyRotatorOptions {
  /** IAM client; default: one built from the Secrets Manager client's endpoint, Region and credentials. */
  readonly iam?: IAMClient;
  /** STS client signing with the given key; default: at the Secrets Manager client's endpoint and Region. */
  readonly stsWith?: (key: { accessKeyId: string; secretAccessKey: string }) => STSClient;
  /**
   * Waits between GetCallerIdentity attempts: a new IAM key can take seconds to work everywhere
   * (IAM is eventually consistent), so InvalidClientTokenId is retried this many times.
   */
  readonly testRetryDelaysMs?: readonly number[];
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'Error');

export const createIamAccessKeyRotator = (
  options: IamKeyRotatorOptions = {},
): Rotator & {
  afterFinish(
    versions: { previous: SecretVersion; current: SecretVersion },
    ctx: RotatorContext,
  ): Promise<void>;
} => {
  // IAM and STS go where the function's Secrets Manager client goes (the local endpoint in
  // tests), with the factory's one retry policy. The InvalidClientTokenId wait below is not a
  // second policy: that error is not retryable for the SDK, only for a key IAM is still spreading.
  const iamOf = async (ctx: RotatorContext): Promise<IAMClient> =>
    options.iam ?? (await awsClientBeside(IAMClient, ctx.secretsManager));
  const stsOf = async (
    ctx: RotatorContext,
    key: { accessKeyId: string; secretAccessKey: string },
  ): Promise<STSClient> =>
    options.stsWith?.(key) ?? (await awsClientBeside(STSClient, ctx.secretsManager, { credentials: key }));
  const delays = options.testRetryDelaysMs ?? [1000, 2000, 4000, 8000];

  /** The pending value a previous attempt of this rotation stored, if its key still exists. */
  const storedPending = async (ctx: RotatorContext, keys: AccessKeyMetadata[], userName: string) => {
    try {
      const answer = await ctx.secretsManager.send(
        new GetSecretValueCommand({
          SecretId: ctx.secretArn,
          VersionId: ctx.token,
          VersionStage: 'AWSPENDING',
        }),
      );
      const value = answer.SecretString === undefined ? undefined : tryParseJsonObject(answer.SecretString);
      if (
        value &&
        value.UserName === userName &&
        keys.some((k) => k.AccessKeyId === value.AccessKeyId) &&
        answer.SecretString !== undefined
      ) {
        return { text: answer.SecretString, keyId: String(value.AccessKeyId) };
      }
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    return undefined;
  };

  return {
    name: 'iam-access-key',
    usesPreviousVersion: false,

    async createPending(current, ctx) {
      const secret = parseIamKeySecret(current.secretString, 'the AWSCURRENT version');
      const iam = await iamOf(ctx);
      const user = secret.UserName;
      const listed = await iam.send(new ListAccessKeysCommand({ UserName: user }));
      const keys = listed.AccessKeyMetadata ?? [];
      if (!keys.some((k) => k.AccessKeyId === secret.AccessKeyId)) {
        throw new RotationConfigurationError(
          `Access key ${secret.AccessKeyId} of the AWSCURRENT version is not a key of IAM user ${user} (ListAccessKeys lists ${keys.map((k) => k.AccessKeyId).join(', ') || 'none'}). Fix "UserName" or "AccessKeyId" with PutSecretValue.`,
        );
      }
      const reused = await storedPending(ctx, keys, user);
      if (reused) {
        ctx.logger.info('Reusing the access key already stored in AWSPENDING', { accessKeyId: reused.keyId });
        return reused.text;
      }
      const others = keys.filter((k) => k.AccessKeyId !== secret.AccessKeyId);
      if (keys.length >= 2) {
        const tags = (await iam.send(new GetUserCommand({ UserName: user }))).User?.Tags ?? [];
        for (const other of others) {
          const id = other.AccessKeyId ?? '';
          const byRekey = tags.some((t) => t.Key === id && (t.Value ?? '').startsWith(CREATED_BY_REKEY));
          if (other.Status !== 'Inactive' && !byRekey) {
            throw new RotationConfigurationError(
              `IAM user ${user} already has two access keys and ${id}, the one not in AWSCURRENT, is active and was not created by rekey, so it is not deleted. Deactivate it (UpdateAccessKey --status Inactive) once nothing uses it, or delete it, then rotate again. AWSCURRENT is unchanged.`,
            );
          }
          await deleteKey(iam, user, id);
          ctx.logger.info('Deleted the access key not in AWSCURRENT to make room', {
            accessKeyId: id,
            wasActive: other.Status !== 'Inactive',
          });
        }
      }
      const created = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey;
      if (!created?.AccessKeyId || !created.SecretAccessKey) {
        throw new RotationConfigurationError(`IAM CreateAccessKey for user ${user} returned no key.`);
      }
      try {
        await iam.send(
          new TagUserCommand({
            UserName: user,
            Tags: [{ Key: created.AccessKeyId, Value: `${CREATED_BY_REKEY}${ctx.secretArn}`.slice(0, 256) }],
          }),
        );
      } catch (error) {
        // An untagged key would block the next attempt; take it back rather than leave it.
        await deleteKey(iam, user, created.AccessKeyId);
        throw error;
      }
      ctx.logger.info('Created a new access key', { userName: user, accessKeyId: created.AccessKeyId });
      return JSON.stringify({
        ...secret.fields,
        UserName: user,
        AccessKeyId: created.AccessKeyId,
        SecretAccessKey: created.SecretAccessKey,
      });
    },

    async setSecret() {
      // The key works as soon as IAM created it: nothing to apply.
    },

    async testSecret({ pending }, ctx) {
      const secret = parseIamKeySecret(pending.secretString, 'the AWSPENDING version');
      const expected = (await (await iamOf(ctx)).send(new GetUserCommand({ UserName: secret.UserName }))).User
        ?.Arn;
      const sts = await stsOf(ctx, {
        accessKeyId: secret.AccessKeyId,
        secretAccessKey: secret.SecretAccessKey,
      });
      let lastError: unknown;
      for (let attempt = 0; attempt <= delays.length; attempt += 1) {
        try {
          const identity = await sts.send(new GetCallerIdentityCommand({}));
          if (identity.Arn !== expected) {
            throw new SecretTestFailedError(
              `The AWSPENDING access key ${secret.AccessKeyId} signs in as ${identity.Arn ?? 'nobody'}, not as IAM user ${secret.UserName} (${expected}). AWSCURRENT is unchanged.`,
            );
          }
          ctx.logger.info('The new access key signs in as its user', { accessKeyId: secret.AccessKeyId });
          return;
        } catch (error) {
          if (error instanceof SecretTestFailedError) throw error;
          lastError = error;
          if (errorName(error) !== 'InvalidClientTokenId' || attempt === delays.length) break;
          await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
        }
      }
      throw new SecretTestFailedError(
        `STS GetCallerIdentity with the AWSPENDING access key ${secret.AccessKeyId} of IAM user ${secret.UserName} failed (${errorName(lastError)}). AWSCURRENT is unchanged; the key stays for the retry.`,
      );
    },

    async afterFinish({ previous, current }, ctx) {
      const old = parseIamKeySecret(previous.secretString, 'the AWSPREVIOUS version');
      const now = parseIamKeySecret(current.secretString, 'the AWSCURRENT version');
      if (old.AccessKeyId === now.AccessKeyId) return;
      try {
        await (await iamOf(ctx)).send(
          new UpdateAccessKeyCommand({
            UserName: old.UserName,
            AccessKeyId: old.AccessKeyId,
            Status: 'Inactive',
          }),
        );
        ctx.logger.info('Deactivated the previous access key; the next rotation deletes it', {
          accessKeyId: old.AccessKeyId,
        });
      } catch (error) {
        if (!(error instanceof NoSuchEntityException)) throw error;
      }
    },
  };
};

/** Deletes a key and its rekey tag; a key already gone is success. */
const deleteKey = async (iam: IAMClient, userName: string, accessKeyId: string): Promise<void> => {
  try {
    await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) throw error;
  }
  await iam.send(new UntagUserCommand({ UserName: userName, TagKeys: [accessKeyId] }));
};
