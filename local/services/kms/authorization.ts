/**
 * The IAM checks of each KMS operation (Service Authorization Reference, "Actions, resources,
 * and condition keys for AWS Key Management Service"; KMS developer guide, "Controlling access
 * to aliases" and "kms:ResourceAliases"): the key the request names (by key id, key ARN, alias
 * name or alias ARN; Decrypt and ReEncrypt also by the key the ciphertext names), the key's
 * aliases and tags, the encryption context, the tags a request sets. Every key has a key policy,
 * which KMS requires to allow (directly, or by naming the account to delegate to IAM).
 */
import {
  type AuthorizationCheck,
  describeWith,
  inputString,
  type ResourcePolicy,
  readPolicy,
  type ServiceAuthorizer,
  type ServiceDescriptors,
} from '../../core/iam/index.js';
import type { ContextValue, Policy } from '../../core/iam/policy.js';
import type { RequestContext } from '../../types.js';
import { blobKeyId } from './crypto.js';
import { aliasArn, type KeyRecord, keyArn, type RegionState } from './state.js';

/** What the descriptors read: the keys and aliases of an account and Region. */
export type KmsAuthState = (account: string, region: string) => RegionState;

const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key\/.+|alias\/.+)$/;

interface KeyRef {
  /** The key's ARN, or the ARN the identifier names when no such key exists. */
  readonly arn: string;
  readonly key?: KeyRecord;
  /** The alias name, when the request named the key by alias. */
  readonly alias?: string;
}

/** The key an identifier names, in the Region of its ARN or the request's. */
const findKey = (state: KmsAuthState, ctx: RequestContext, raw: string): KeyRef => {
  let region = ctx.region;
  let account = ctx.accountId;
  let id = raw;
  const arn = KEY_ARN.exec(raw);
  if (arn) {
    region = arn[1] ?? region;
    account = arn[2] ?? account;
    id = arn[3] ?? id;
  }
  const keys = state(account, region);
  if (id.startsWith('alias/')) {
    const alias = keys.aliases[id];
    const key = alias ? keys.keys[alias.TargetKeyId] : undefined;
    return { arn: key?.Arn ?? aliasArn(region, account, id), alias: id, ...(key ? { key } : {}) };
  }
  if (id.startsWith('key/')) id = id.slice(4);
  const key = keys.keys[id];
  return { arn: key?.Arn ?? keyArn(region, account, id), ...(key ? { key } : {}) };
};

/** kms:ResourceAliases and the key's tags. */
const keyContext = (state: KmsAuthState, ref: KeyRef): Record<string, ContextValue> => {
  const context: Record<string, ContextValue> = {};
  if (ref.alias !== undefined) context['kms:RequestAlias'] = ref.alias;
  const key = ref.key;
  if (key === undefined) return context;
  const aliases = Object.values(state(key.AWSAccountId, key.Region).aliases)
    .filter((a) => a.TargetKeyId === key.KeyId)
    .map((a) => a.AliasName);
  context['kms:ResourceAliases'] = aliases;
  for (const tag of key.Tags) context[`aws:ResourceTag/${tag.TagKey}`] = tag.TagValue;
  context['kms:KeySpec'] = key.KeySpec;
  context['kms:KeyUsage'] = key.KeyUsage;
  context['kms:KeyOrigin'] = key.Origin;
  context['kms:MultiRegion'] = String(key.MultiRegion);
  return context;
};

/** `kms:EncryptionContext:KEY` and `kms:EncryptionContextKeys` of a request's context field. */
const encryptionContext = (value: unknown): Record<string, ContextValue> => {
  if (typeof value !== 'object' || value === null) return {};
  const pairs = Object.entries(value as Record<string, unknown>).filter(
    (e): e is [string, string] => typeof e[1] === 'string',
  );
  const context: Record<string, ContextValue> = { 'kms:EncryptionContextKeys': pairs.map(([k]) => k) };
  for (const [k, v] of pairs) context[`kms:EncryptionContext:${k}`] = v;
  return context;
};

/** Tags a request sets (`[{TagKey, TagValue}]`): aws:RequestTag/* and aws:TagKeys. */
const requestTags = (value: unknown): Record<string, ContextValue> => {
  if (!Array.isArray(value)) return {};
  const tags = value.filter(
    (t): t is { TagKey: string; TagValue?: unknown } =>
      typeof t === 'object' && t !== null && typeof (t as { TagKey?: unknown }).TagKey === 'string',
  );
  const context: Record<string, ContextValue> = { 'aws:TagKeys': tags.map((t) => t.TagKey) };
  for (const t of tags) context[`aws:RequestTag/${t.TagKey}`] = String(t.TagValue ?? '');
  return context;
};

/** The key a symmetric ciphertext names (Decrypt, ReEncrypt without a key id). */
const ciphertextKey = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  try {
    return blobKeyId(Buffer.from(value, 'base64'));
  } catch {
    return undefined;
  }
};

type Describe = ServiceDescriptors<KmsAuthState>['operations'][string];

/** One check on the key the field names, with the key's context and `extra`. */
const onKey =
  (
    field: string,
    extra: (input: Readonly<Record<string, unknown>>) => Record<string, ContextValue> = () => ({}),
  ): Describe =>
  ({ operation, input, ctx, state }) => {
    const raw = inputString(input, field);
    if (raw === undefined) return [{ action: `kms:${operation}`, resource: '*' }];
    const ref = findKey(state, ctx, raw);
    // A key that does not exist in the caller's account: the operation answers NotFoundException,
    // as KMS does, rather than a denial on a key no one has.
    if (ref.key === undefined) return [];
    return [
      {
        action: `kms:${operation}`,
        resource: ref.arn,
        context: { ...keyContext(state, ref), ...extra(input) },
      },
    ];
  };

const withContext = (field: string) => (input: Readonly<Record<string, unknown>>) =>
  encryptionContext(input[field]);

/** Decrypt names the key by KeyId or, for symmetric keys, through the ciphertext. */
const decryptKey = (
  state: KmsAuthState,
  ctx: RequestContext,
  keyId: string | undefined,
  blob: unknown,
): KeyRef | undefined => {
  const raw = keyId ?? ciphertextKey(blob);
  return raw === undefined ? undefined : findKey(state, ctx, raw);
};

/** Alias operations need the permission on the alias and on each key involved. */
const aliasChecks = (
  action: string,
  state: KmsAuthState,
  ctx: RequestContext,
  aliasName: string | undefined,
  keys: (KeyRef | undefined)[],
): AuthorizationCheck[] => {
  const checks: AuthorizationCheck[] = [
    { action, resource: aliasName ? aliasArn(ctx.region, ctx.accountId, aliasName) : '*' },
  ];
  for (const ref of keys) {
    if (ref?.key !== undefined) checks.push({ action, resource: ref.arn, context: keyContext(state, ref) });
  }
  return checks;
};

export const KMS_DESCRIPTORS: ServiceDescriptors<KmsAuthState> = {
  prefix: 'kms',
  operations: {
    CreateKey: ({ input }) => [
      {
        action: 'kms:CreateKey',
        resource: '*',
        context: {
          ...requestTags(input.Tags),
          ...(typeof input.KeySpec === 'string' ? { 'kms:KeySpec': input.KeySpec } : {}),
          ...(typeof input.KeyUsage === 'string' ? { 'kms:KeyUsage': input.KeyUsage } : {}),
          ...(typeof input.Origin === 'string' ? { 'kms:KeyOrigin': input.Origin } : {}),
          'kms:MultiRegion': String(input.MultiRegion === true),
          'kms:BypassPolicyLockoutSafetyCheck': String(input.BypassPolicyLockoutSafetyCheck === true),
        },
      },
    ],
    DescribeKey: onKey('KeyId'),
    UpdateKeyDescription: onKey('KeyId'),
    GetKeyPolicy: onKey('KeyId'),
    PutKeyPolicy: onKey('KeyId', (i) => ({
      'kms:BypassPolicyLockoutSafetyCheck': String(i.BypassPolicyLockoutSafetyCheck === true),
    })),
    ListKeyPolicies: onKey('KeyId'),
    TagResource: onKey('KeyId', (i) => requestTags(i.Tags)),
    UntagResource: onKey('KeyId', (i) => ({
      'aws:TagKeys': Array.isArray(i.TagKeys)
        ? i.TagKeys.filter((k): k is string => typeof k === 'string')
        : [],
    })),
    ListResourceTags: onKey('KeyId'),
    Encrypt: onKey('KeyId', withContext('EncryptionContext')),
    GenerateDataKey: onKey('KeyId', withContext('EncryptionContext')),
    GenerateDataKeyWithoutPlaintext: onKey('KeyId', withContext('EncryptionContext')),
    GenerateMac: onKey('KeyId'),
    VerifyMac: onKey('KeyId'),
    Sign: onKey('KeyId'),
    Verify: onKey('KeyId'),
    GetPublicKey: onKey('KeyId'),
    EnableKey: onKey('KeyId'),
    DisableKey: onKey('KeyId'),
    ScheduleKeyDeletion: onKey('KeyId'),
    CancelKeyDeletion: onKey('KeyId'),
    CreateGrant: onKey('KeyId', (i) => ({
      ...(typeof i.GranteePrincipal === 'string' ? { 'kms:GranteePrincipal': i.GranteePrincipal } : {}),
      'kms:GrantOperations': Array.isArray(i.Operations)
        ? i.Operations.filter((o): o is string => typeof o === 'string')
        : [],
    })),
    ListGrants: onKey('KeyId'),
    RevokeGrant: onKey('KeyId'),
    RetireGrant: onKey('KeyId'),
    GetKeyRotationStatus: onKey('KeyId'),
    EnableKeyRotation: onKey('KeyId'),
    DisableKeyRotation: onKey('KeyId'),
    RotateKeyOnDemand: onKey('KeyId'),
    ListKeyRotations: onKey('KeyId'),
    GetParametersForImport: onKey('KeyId'),
    ImportKeyMaterial: onKey('KeyId'),
    DeleteImportedKeyMaterial: onKey('KeyId'),
    ListAliases: ({ input, ctx, state }) => {
      const raw = inputString(input, 'KeyId');
      if (raw === undefined) return [{ action: 'kms:ListAliases', resource: '*' }];
      const ref = findKey(state, ctx, raw);
      return [{ action: 'kms:ListAliases', resource: ref.arn, context: keyContext(state, ref) }];
    },
    // ReplicateKey needs kms:ReplicateKey on the primary and kms:CreateKey in the replica's Region
    // (KMS developer guide, "Controlling access to multi-Region keys").
    ReplicateKey: ({ input, ctx, state }) => {
      const raw = inputString(input, 'KeyId');
      const replicaRegion = inputString(input, 'ReplicaRegion');
      const ref = raw === undefined ? undefined : findKey(state, ctx, raw);
      return [
        {
          action: 'kms:ReplicateKey',
          resource: ref?.arn ?? '*',
          context: {
            ...(ref ? keyContext(state, ref) : {}),
            ...(replicaRegion ? { 'kms:ReplicaRegion': replicaRegion } : {}),
          },
        },
        {
          action: 'kms:CreateKey',
          resource: '*',
          context: { ...requestTags(input.Tags), 'kms:MultiRegion': 'true' },
        },
      ];
    },
    Decrypt: ({ input, ctx, state }) => {
      const ref = decryptKey(state, ctx, inputString(input, 'KeyId'), input.CiphertextBlob);
      if (ref?.key === undefined) return [];
      return [
        {
          action: 'kms:Decrypt',
          resource: ref.arn,
          context: { ...keyContext(state, ref), ...encryptionContext(input.EncryptionContext) },
        },
      ];
    },
    ReEncrypt: ({ input, ctx, state }) => {
      const source = decryptKey(state, ctx, inputString(input, 'SourceKeyId'), input.CiphertextBlob);
      const rawDestination = inputString(input, 'DestinationKeyId');
      const destination = rawDestination === undefined ? undefined : findKey(state, ctx, rawDestination);
      // A ciphertext that names no key (altered, or not KMS's) is InvalidCiphertextException.
      const checks: AuthorizationCheck[] = [];
      if (source?.key !== undefined) {
        checks.push({
          action: 'kms:ReEncryptFrom',
          resource: source.arn,
          context: { ...keyContext(state, source), ...encryptionContext(input.SourceEncryptionContext) },
        });
      }
      if (destination?.key !== undefined) {
        checks.push({
          action: 'kms:ReEncryptTo',
          resource: destination.arn,
          context: {
            ...keyContext(state, destination),
            ...encryptionContext(input.DestinationEncryptionContext),
          },
        });
      }
      return checks;
    },
    CreateAlias: ({ input, ctx, state }) => {
      const target = inputString(input, 'TargetKeyId');
      return aliasChecks('kms:CreateAlias', state, ctx, inputString(input, 'AliasName'), [
        target === undefined ? undefined : findKey(state, ctx, target),
      ]);
    },
    // UpdateAlias: the alias, the key it points at now and the key it will point at.
    UpdateAlias: ({ input, ctx, state }) => {
      const name = inputString(input, 'AliasName');
      const target = inputString(input, 'TargetKeyId');
      return aliasChecks('kms:UpdateAlias', state, ctx, name, [
        name === undefined ? undefined : findKey(state, ctx, name),
        target === undefined ? undefined : findKey(state, ctx, target),
      ]);
    },
    DeleteAlias: ({ input, ctx, state }) => {
      const name = inputString(input, 'AliasName');
      return aliasChecks('kms:DeleteAlias', state, ctx, name, [
        name === undefined ? undefined : findKey(state, ctx, name),
      ]);
    },
  },
};

/** Parsed key policies by their text: a key policy is read once, not on every request. */
const parsed = new Map<string, Policy>();
const MAX_PARSED = 10_000;

const keyPolicy = (text: string): Policy => {
  let policy = parsed.get(text);
  if (policy === undefined) {
    policy = readPolicy('key policy', text, 'resource');
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(text, policy);
  }
  return policy;
};

/** The KMS service's authorizer: its descriptors over its store, key policies, key references. */
export const kmsAuthorization = (state: KmsAuthState): ServiceAuthorizer => ({
  prefix: 'kms',
  checks: describeWith(KMS_DESCRIPTORS, state),
  // Aliases have no policy of their own: only keys (KMS developer guide, "Controlling access to aliases").
  resourcePolicy: (arn, ctx): ResourcePolicy | undefined => {
    if (!arn.includes(':key/')) return undefined;
    const ref = findKey(state, ctx, arn);
    return ref.key === undefined ? undefined : { policy: keyPolicy(ref.key.Policy), mode: 'required' };
  },
  resolveArn: (reference, ctx) => findKey(state, ctx, reference).key?.Arn,
});
