import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from '../../aws-error.js';
import type { RequestContext } from '../../types.js';
import { generateMaterial } from './crypto.js';
import {
  type Input,
  optBool,
  optEnum,
  optInt,
  optString,
  optStringList,
  page,
  reqString,
  type Tag,
  tagList,
  validation,
} from './input.js';
import {
  algorithmsOf,
  cancelDeletion,
  requireCustomerManaged,
  requireNotPendingDeletion,
  scheduleDeletion,
  setEnabled,
} from './key-states.js';
import { type KeyRecord, type KmsModel, notFound } from './model.js';
import { keyFrom, type Operations, seconds } from './operation.js';
import { checkPolicy } from './policy.js';
import { KEY_SPECS, KEY_USAGES } from './specs.js';

/**
 * Wire-facing key management operations: create, describe, list, enable and disable, deletion,
 * key policies, tags, and multi-Region replicas.
 */

/** How long a new replica key stays `Creating` (by the endpoint clock). */
const REPLICA_CREATING_MS = 1000;
/** The most tags a KMS key can have. */
const MAX_TAGS = 50;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** Key policies are at most 32 KB; the field may hold up to twice that in characters. */
const POLICY_FIELD_MAX = 32_768 * 2;

/** Later tags with the same key replace earlier ones, as TagResource does. */
export const uniqueTags = (tags: Tag[]): Tag[] => [...new Map(tags.map((t) => [t.TagKey, t])).values()];

/** KeyMetadata as DescribeKey returns it; algorithm lists appear only for the key's usage. */
export const metadata = (model: KmsModel, key: KeyRecord): Record<string, unknown> => {
  model.settle(key);
  const algorithms = algorithmsOf(key);
  const out: Record<string, unknown> = {
    AWSAccountId: key.AWSAccountId,
    KeyId: key.KeyId,
    Arn: key.Arn,
    CreationDate: seconds(key.CreationDate),
    Enabled: key.KeyState === 'Enabled',
    Description: key.Description,
    KeyUsage: key.KeyUsage,
    KeyState: key.KeyState,
    Origin: key.Origin,
    KeyManager: key.KeyManager,
    CustomerMasterKeySpec: key.KeySpec,
    KeySpec: key.KeySpec,
    MultiRegion: key.MultiRegion,
  };
  if (key.KeyUsage === 'ENCRYPT_DECRYPT') out.EncryptionAlgorithms = [...algorithms];
  if (key.KeyUsage === 'SIGN_VERIFY') out.SigningAlgorithms = [...algorithms];
  if (key.KeyUsage === 'GENERATE_VERIFY_MAC') out.MacAlgorithms = [...algorithms];
  if (key.KeyState === 'PendingDeletion' && key.DeletionDate !== undefined) {
    out.DeletionDate = seconds(key.DeletionDate);
  }
  // Documented as present only while a primary waits for its replicas to be deleted.
  if (key.KeyState === 'PendingReplicaDeletion') out.PendingDeletionWindowInDays = key.PendingWindowInDays;
  if (key.Origin === 'EXTERNAL') {
    if (key.ExpirationModel) out.ExpirationModel = key.ExpirationModel;
    if (key.ValidTo !== undefined && key.Material !== undefined) out.ValidTo = seconds(key.ValidTo);
  }
  if (key.MultiRegion) {
    const primary = model.primaryOf(key);
    const ref = (k: KeyRecord) => ({ Arn: k.Arn, Region: k.Region });
    out.MultiRegionConfiguration = {
      MultiRegionKeyType: key.Region === key.PrimaryRegion ? 'PRIMARY' : 'REPLICA',
      ...(primary ? { PrimaryKey: ref(primary) } : {}),
      ReplicaKeys: model.replicasOf(key).map(ref),
    };
  }
  return out;
};

/** Management operations that change a key require it customer managed and not pending deletion. */
const manageable = (model: KmsModel, input: Input, ctx: RequestContext, operation: string): KeyRecord => {
  const key = keyFrom(model, ctx, input, 'KeyId');
  requireCustomerManaged(key, operation);
  requireNotPendingDeletion(key);
  return key;
};

export const keyOperations: Operations = {
  async CreateKey(model, input, ctx) {
    const description = optString(input, 'Description', 8192) ?? '';
    const policy = checkPolicy(optString(input, 'Policy', POLICY_FIELD_MAX), ctx.accountId);
    optBool(input, 'BypassPolicyLockoutSafetyCheck');
    const specs = Object.keys(KEY_SPECS);
    const keySpec = optEnum(input, 'KeySpec', specs);
    const cmkSpec = optEnum(input, 'CustomerMasterKeySpec', specs);
    if (keySpec && cmkSpec) {
      throw validation('Specify KeySpec or the deprecated CustomerMasterKeySpec, not both.');
    }
    const spec = keySpec ?? cmkSpec ?? 'SYMMETRIC_DEFAULT';
    const usage = optEnum(input, 'KeyUsage', [...KEY_USAGES, 'KEY_AGREEMENT']) ?? 'ENCRYPT_DECRYPT';
    if (usage === 'KEY_AGREEMENT') {
      throw new AwsError(
        'UnsupportedOperationException',
        'KeyUsage KEY_AGREEMENT is not emulated by the local KMS.',
      );
    }
    const allowed = Object.keys(KEY_SPECS[spec]?.usages ?? {});
    if (!allowed.includes(usage)) {
      throw validation(
        `KeyUsage ${usage} is not compatible with KeySpec ${spec}; ${spec} supports KeyUsage ${allowed.join(' or ')}.`,
      );
    }
    const origin =
      optEnum(input, 'Origin', ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE']) ?? 'AWS_KMS';
    if (origin !== 'AWS_KMS' && origin !== 'EXTERNAL') {
      throw new AwsError(
        'UnsupportedOperationException',
        `Origin ${origin} (custom key stores) is not emulated locally.`,
      );
    }
    if (optString(input, 'CustomKeyStoreId') !== undefined || optString(input, 'XksKeyId') !== undefined) {
      throw new AwsError('UnsupportedOperationException', 'Custom key stores are not emulated locally.');
    }
    const multiRegion = optBool(input, 'MultiRegion') ?? false;
    const tags = uniqueTags(tagList(input, 'Tags'));
    const material = origin === 'AWS_KMS' ? await generateMaterial(spec) : undefined;
    const now = ctx.now.getTime();
    const keyId = multiRegion ? `mrk-${randomBytes(16).toString('hex')}` : randomUUID();
    const key: KeyRecord = {
      ...model.newKeyRecord(ctx.accountId, keyId, ctx.region, now),
      Description: description,
      KeySpec: spec,
      KeyUsage: usage,
      Origin: origin,
      KeyState: origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled',
      MultiRegion: multiRegion,
      ...(multiRegion ? { PrimaryRegion: ctx.region } : {}),
      Policy: policy,
      Tags: tags,
      ...(material ? { Material: material } : {}),
    };
    model.addKey(key);
    return { KeyMetadata: metadata(model, key) };
  },

  DescribeKey: (model, input, ctx) => ({
    KeyMetadata: metadata(model, keyFrom(model, ctx, input, 'KeyId', { alias: true, awsManaged: true })),
  }),

  ListKeys(model, input, ctx) {
    const keys = Object.values(model.region(ctx.accountId, ctx.region).keys).map((k) => ({
      KeyId: k.KeyId,
      KeyArn: k.Arn,
    }));
    const { items, ...rest } = page(keys, input);
    return { Keys: items, ...rest };
  },

  UpdateKeyDescription(model, input, ctx) {
    const key = manageable(model, input, ctx, 'UpdateKeyDescription');
    const description = optString(input, 'Description', 8192);
    if (description === undefined) throw validation('Description is required.');
    key.Description = description;
    return {};
  },

  EnableKey(model, input, ctx) {
    setEnabled(keyFrom(model, ctx, input, 'KeyId'), true);
    return {};
  },

  DisableKey(model, input, ctx) {
    setEnabled(keyFrom(model, ctx, input, 'KeyId'), false);
    return {};
  },

  ScheduleKeyDeletion(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId');
    requireCustomerManaged(key, 'ScheduleKeyDeletion');
    const window = optInt(input, 'PendingWindowInDays', 7, 30) ?? 30;
    scheduleDeletion(model, key, window, ctx.now.getTime());
    return {
      KeyId: key.Arn,
      ...(key.DeletionDate === undefined ? {} : { DeletionDate: seconds(key.DeletionDate) }),
      KeyState: key.KeyState,
      PendingWindowInDays: window,
    };
  },

  CancelKeyDeletion(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId');
    cancelDeletion(key);
    return { KeyId: key.Arn };
  },

  GetKeyPolicy(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId');
    const name = optString(input, 'PolicyName') ?? 'default';
    if (name !== 'default')
      throw notFound(`PolicyName ${name} does not exist; the only key policy is 'default'.`);
    return { Policy: key.Policy, PolicyName: 'default' };
  },

  PutKeyPolicy(model, input, ctx) {
    const key = manageable(model, input, ctx, 'PutKeyPolicy');
    const name = optString(input, 'PolicyName') ?? 'default';
    if (name !== 'default') throw validation(`PolicyName must be 'default' (got '${name}').`);
    optBool(input, 'BypassPolicyLockoutSafetyCheck');
    key.Policy = checkPolicy(reqString(input, 'Policy', POLICY_FIELD_MAX), ctx.accountId);
    return {};
  },

  ListKeyPolicies(model, input, ctx) {
    keyFrom(model, ctx, input, 'KeyId');
    return { PolicyNames: ['default'], Truncated: false };
  },

  TagResource(model, input, ctx) {
    const key = manageable(model, input, ctx, 'TagResource');
    const tags = uniqueTags([...key.Tags, ...tagList(input, 'Tags')]);
    if (tags.length > MAX_TAGS)
      throw new AwsError('TagException', `A KMS key can have at most ${MAX_TAGS} tags.`);
    key.Tags = tags;
    return {};
  },

  UntagResource(model, input, ctx) {
    const key = manageable(model, input, ctx, 'UntagResource');
    const remove = new Set(optStringList(input, 'TagKeys') ?? []);
    key.Tags = key.Tags.filter((t) => !remove.has(t.TagKey));
    return {};
  },

  ListResourceTags(model, input, ctx) {
    const { items, ...rest } = page(keyFrom(model, ctx, input, 'KeyId').Tags, input, MAX_TAGS);
    return { Tags: items, ...rest };
  },

  ReplicateKey(model, input, ctx) {
    const primary = keyFrom(model, ctx, input, 'KeyId');
    const replicaRegion = reqString(input, 'ReplicaRegion', 32);
    if (!REGION.test(replicaRegion))
      throw validation(`ReplicaRegion ${replicaRegion} is not a Region ID such as eu-west-1.`);
    if (!primary.MultiRegion) {
      throw new AwsError(
        'UnsupportedOperationException',
        `${primary.Arn} is not a multi-Region key; only multi-Region primary keys (MultiRegion: true) can be replicated.`,
      );
    }
    if (primary.Region !== primary.PrimaryRegion) {
      throw new AwsError(
        'UnsupportedOperationException',
        `${primary.Arn} is a replica key; replicate the primary key in ${primary.PrimaryRegion} instead.`,
      );
    }
    requireNotPendingDeletion(primary);
    if (model.region(ctx.accountId, replicaRegion).keys[primary.KeyId]) {
      throw new AwsError(
        'AlreadyExistsException',
        `${primary.KeyId} already has a copy in ${replicaRegion}.`,
      );
    }
    const policy = checkPolicy(optString(input, 'Policy', POLICY_FIELD_MAX), ctx.accountId);
    optBool(input, 'BypassPolicyLockoutSafetyCheck');
    const tags = uniqueTags(tagList(input, 'Tags'));
    const now = ctx.now.getTime();
    // Key material, key spec, usage and origin are shared; policy, tags, description, aliases,
    // grants and key state belong to each Region (multi-Region keys, KMS Developer Guide).
    const replica: KeyRecord = {
      ...model.newKeyRecord(ctx.accountId, primary.KeyId, replicaRegion, now),
      Description: optString(input, 'Description', 8192) ?? '',
      KeySpec: primary.KeySpec,
      KeyUsage: primary.KeyUsage,
      Origin: primary.Origin,
      // "The replica key is in the Creating state until it is ready" (ReplicateKey); then Enabled,
      // or PendingImport for imported material.
      KeyState: 'Creating',
      CreatingUntil: now + REPLICA_CREATING_MS,
      MultiRegion: true,
      PrimaryRegion: primary.Region,
      Policy: policy,
      Tags: tags,
      ...(primary.Origin === 'AWS_KMS' && primary.Material ? { Material: primary.Material } : {}),
      ...(primary.PreviousMaterials ? { PreviousMaterials: [...primary.PreviousMaterials] } : {}),
      ...(primary.ImportedFingerprint ? { ImportedFingerprint: primary.ImportedFingerprint } : {}),
    };
    model.addKey(replica);
    return {
      ReplicaKeyMetadata: metadata(model, replica),
      ReplicaPolicy: replica.Policy,
      ReplicaTags: replica.Tags,
    };
  },
};
