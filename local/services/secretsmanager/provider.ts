/**
 * The wire-facing operations on one secret's value, labels, tags and lifecycle: CreateSecret,
 * DescribeSecret, GetSecretValue, PutSecretValue, UpdateSecret, UpdateSecretVersionStage,
 * TagResource, UntagResource, DeleteSecret, RestoreSecret. Each reads and checks its input, then
 * applies the model's rules (`versions.ts`). Listing, rotation, replication and resource policies
 * are in their own modules; `index.ts` puts them together.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError, invalidRequest } from '../../aws-error.js';
import { anySecret, liveSecret, type Operation, writableSecret } from './context.js';
import { clientToken, MAX_TAGS, secretValue, tags, versionStages } from './input.js';
import { MARKED_FOR_DELETION } from './model.js';
import { CURRENT, compact, regionOf, type SecretRecord, type VersionRecord } from './records.js';
import {
  attachStage,
  hasValue,
  holderOf,
  prune,
  putVersion,
  removeStage,
  sameValue,
  stagesMap,
  versionById,
} from './versions.js';
import { describe, readValue } from './views.js';

const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DAY_MS = 86_400_000;

const randomSuffix = (): string => [...randomBytes(6)].map((b) => SUFFIX_ALPHABET[b % 62]).join('');

const valueNotFound = (what: string) =>
  new AwsError(
    'ResourceNotFoundException',
    `Secrets Manager can't find the specified secret value for ${what}`,
  );
const versionNotFound = (versionId: string) =>
  new AwsError('ResourceNotFoundException', `Secrets Manager can't find the version ${versionId}.`);

export const secretOperations: Record<string, Operation> = {
  CreateSecret(input, ctx, { model }) {
    const name = input.reqString('Name', { max: 512 });
    if (!NAME_PATTERN.test(name)) {
      throw input.error(
        'Name must be 1 to 512 characters: letters, digits and /_+=.@- only (it is case-sensitive).',
      );
    }
    const token = clientToken(input);
    const value = secretValue(input);
    const description = input.optString('Description', { max: 2048 });
    const kmsKeyId = input.optString('KmsKeyId', { max: 2048 });
    const tagList = tags(input);
    if (tagList.length > MAX_TAGS) throw input.error(`Tags: a secret can have at most ${MAX_TAGS} tags.`);
    const now = ctx.now.getTime();
    const scope = model.scope(ctx.accountId, ctx.region, now);
    const existing = scope.get(name);
    if (existing) {
      if (existing.deletedMs !== undefined) {
        throw invalidRequest(
          `You can't create this secret because a secret with the name ${name} is already scheduled for deletion. Restore it with RestoreSecret or choose another name.`,
        );
      }
      // A retried CreateSecret (same token, same data) is answered like the first call.
      const version = token ? versionById(existing, token) : undefined;
      if (version && value && sameValue(version, value)) {
        return { ARN: existing.arn, Name: existing.name, VersionId: version.versionId };
      }
      throw new AwsError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const secret: SecretRecord = {
      arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${name}-${randomSuffix()}`,
      name,
      tags: tagList,
      versions: [],
      createdMs: now,
      lastChangedMs: now,
      rotationEnabled: false,
      rotationLog: [],
      ...compact({ description, kmsKeyId }),
    };
    // Without a value AWS creates the secret with no version at all.
    const version = value ? putVersion(secret, token ?? randomUUID(), value, [CURRENT], now) : undefined;
    scope.set(secret);
    model.markChanged(secret);
    return compact({ ARN: secret.arn, Name: secret.name, VersionId: version?.versionId });
  },

  DescribeSecret(input, ctx, service) {
    // DescribeSecret still answers for a secret scheduled for deletion (it reports DeletedDate).
    const secret = anySecret(service, ctx, input);
    return { ...describe(secret), VersionIdsToStages: stagesMap(secret) };
  },

  GetSecretValue(input, ctx, service) {
    const secret = liveSecret(service, ctx, input);
    const versionId = input.optString('VersionId', { max: 64 });
    const versionStage = input.optString('VersionStage', { max: 256 });
    let version: VersionRecord | undefined;
    if (versionId !== undefined) {
      version = versionById(secret, versionId);
      // VersionId and VersionStage must name the same version.
      if (!version || (versionStage !== undefined && !version.stages.includes(versionStage))) {
        throw valueNotFound(
          versionStage === undefined
            ? `VersionId: ${versionId}`
            : `VersionId: ${versionId} and staging label: ${versionStage}`,
        );
      }
    } else {
      const stage = versionStage ?? CURRENT;
      version = holderOf(secret, stage);
      if (!version) throw valueNotFound(`staging label: ${stage}`);
    }
    // The rotation placeholder has no value until the function's createSecret step stores one.
    if (!hasValue(version)) throw valueNotFound(`VersionId: ${version.versionId}`);
    return readValue(secret, version, ctx);
  },

  PutSecretValue(input, ctx, service) {
    const secret = writableSecret(service, ctx, input);
    const token = clientToken(input) ?? randomUUID();
    const value = secretValue(input);
    if (!value) throw input.error('You must provide either SecretString or SecretBinary.');
    const stages = versionStages(input) ?? [CURRENT];
    // RotationToken identifies the rotation function's call; accepted, never stored or logged.
    input.optString('RotationToken', { max: 256 });
    const version = putVersion(secret, token, value, stages, ctx.now.getTime());
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: [...version.stages],
    };
  },

  UpdateSecret(input, ctx, service) {
    const secret = writableSecret(service, ctx, input);
    const token = clientToken(input) ?? randomUUID();
    const value = secretValue(input);
    const description = input.optString('Description', { max: 2048 });
    const kmsKeyId = input.optString('KmsKeyId', { max: 2048 });
    const now = ctx.now.getTime();
    if (description !== undefined) secret.description = description;
    if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
    secret.lastChangedMs = now;
    const version = value ? putVersion(secret, token, value, [CURRENT], now) : undefined;
    return compact({ ARN: secret.arn, Name: secret.name, VersionId: version?.versionId });
  },

  UpdateSecretVersionStage(input, ctx, service) {
    const secret = writableSecret(service, ctx, input);
    const stage = input.reqString('VersionStage', { max: 256 });
    const moveTo = input.optString('MoveToVersionId', { max: 64 });
    const removeFrom = input.optString('RemoveFromVersionId', { max: 64 });
    if (moveTo === undefined && removeFrom === undefined) {
      throw input.error('Specify MoveToVersionId, RemoveFromVersionId or both.');
    }
    const holder = holderOf(secret, stage);
    if (removeFrom !== undefined) {
      if (!versionById(secret, removeFrom)) throw versionNotFound(removeFrom);
      if (holder?.versionId !== removeFrom) {
        throw input.error(
          `The staging label ${stage} is not attached to version ${removeFrom}${holder ? `; it is attached to version ${holder.versionId}` : ''}.`,
        );
      }
    }
    if (moveTo === undefined) {
      if (stage === CURRENT) {
        throw input.error(
          "You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed.",
        );
      }
      removeStage(secret, stage);
    } else {
      const target = versionById(secret, moveTo);
      if (!target) throw versionNotFound(moveTo);
      // Moving a label that sits on another version requires naming that version.
      if (holder && holder !== target && removeFrom !== holder.versionId) {
        throw input.error(
          `The staging label ${stage} is currently attached to version ${holder.versionId}. To move it to version ${moveTo}, specify RemoveFromVersionId ${holder.versionId}.`,
        );
      }
      attachStage(secret, target, stage);
    }
    secret.lastChangedMs = ctx.now.getTime();
    prune(secret, ctx.now.getTime());
    return { ARN: secret.arn, Name: secret.name };
  },

  TagResource(input, ctx, service) {
    const secret = liveSecret(service, ctx, input);
    const added = tags(input);
    if (added.length === 0) throw input.error('Tags must list at least one {Key, Value}.');
    const merged = new Map(secret.tags.map((t) => [t.Key, t.Value]));
    for (const t of added) merged.set(t.Key, t.Value);
    if (merged.size > MAX_TAGS) throw input.error(`Tags: a secret can have at most ${MAX_TAGS} tags.`);
    secret.tags = [...merged].map(([Key, Value]) => ({ Key, Value }));
    secret.lastChangedMs = ctx.now.getTime();
    return {};
  },

  UntagResource(input, ctx, service) {
    const secret = liveSecret(service, ctx, input);
    const keys = input.raw.TagKeys;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
      throw input.error('TagKeys must be a list of tag keys.');
    }
    secret.tags = secret.tags.filter((t) => !keys.includes(t.Key));
    secret.lastChangedMs = ctx.now.getTime();
    return {};
  },

  DeleteSecret(input, ctx, service) {
    const secret = anySecret(service, ctx, input);
    const window = input.optInt('RecoveryWindowInDays', 7, 30);
    const force = input.optBool('ForceDeleteWithoutRecovery') ?? false;
    if (force && window !== undefined) {
      throw input.error("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    if (secret.replicas?.length) {
      throw invalidRequest(
        `The secret ${secret.name} has replicas in ${secret.replicas.map((r) => r.Region).join(', ')}: remove them with RemoveRegionsFromReplication before deleting it.`,
      );
    }
    if (secret.primaryRegion !== undefined) {
      throw invalidRequest(
        `Operation is not permitted on a replica secret: remove ${regionOf(secret)} from replication on the primary secret in ${secret.primaryRegion}.`,
      );
    }
    const now = ctx.now.getTime();
    const scope = service.model.store.of(ctx);
    if (force) {
      scope.delete(secret.name);
      service.model.markChanged(secret, true);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: now / 1000 };
    }
    if (secret.deletedMs !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
    secret.deletedMs = now;
    secret.deletionMs = now + (window ?? 30) * DAY_MS;
    scope.scheduled.add(secret);
    return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletionMs / 1000 };
  },

  RestoreSecret(input, ctx, service) {
    const secret = anySecret(service, ctx, input);
    secret.deletedMs = undefined;
    secret.deletionMs = undefined;
    service.model.store.of(ctx).scheduled.delete(secret);
    secret.lastChangedMs = ctx.now.getTime();
    return { ARN: secret.arn, Name: secret.name };
  },
};
