import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AwsError } from '../aws-error.js';
import type { Clock } from '../server.js';
import type { LocalService, RequestContext } from '../types.js';
import { kmsAuthorization } from './kms/authorization.js';
import {
  acceptImportedMaterial,
  blobKeyId,
  fingerprint,
  generateMaterial,
  generateWrappingKey,
  hmac,
  publicKeyDer,
  rsaDecrypt,
  rsaEncrypt,
  signMessage,
  symmetricDecrypt,
  symmetricEncrypt,
  unwrapImportedMaterial,
  verifyMessage,
} from './kms/crypto.js';
import {
  encryptionContext,
  type Input,
  optBool,
  optEnum,
  optInt,
  optString,
  optStringList,
  optTimestamp,
  page,
  reqBlob,
  reqString,
  type Tag,
  tagList,
  validation,
} from './kms/input.js';
import {
  GRANT_OPERATIONS,
  grantOperationsFor,
  KEY_SPECS,
  KEY_USAGES,
  type KeyUsage,
  maxOaepPlaintext,
  OAEP_HASH,
  SIGNING_HASH,
  WRAPPING_ALGORITHMS,
  WRAPPING_KEY_SPECS,
} from './kms/specs.js';
import {
  type AliasRecord,
  aliasArn,
  type GrantRecord,
  invalidState,
  type KeyRecord,
  KmsStore,
  keyArn,
  keyType,
  notFound,
  type RegionState,
} from './kms/state.js';

const DAY_MS = 86_400_000;
/** How long a new replica key stays `Creating` (by the endpoint clock). */
const REPLICA_CREATING_MS = 1000;
/** "You can perform on-demand key rotation a maximum of 25 times per KMS key" (RotateKeyOnDemand). */
const MAX_ON_DEMAND_ROTATIONS = 25;
const seconds = (ms: number) => ms / 1000;
const b64 = (buf: Buffer) => buf.toString('base64');

const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key\/.+|alias\/.+)$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

type Op = (input: Input, ctx: RequestContext) => unknown | Promise<unknown>;

const defaultPolicy = (account: string) =>
  JSON.stringify(
    {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    },
    null,
    2,
  );

/** Key policies must be JSON documents with statements (MalformedPolicyDocumentException). */
const checkPolicy = (policy: string | undefined, account: string): string => {
  if (policy === undefined) return defaultPolicy(account);
  if (Buffer.byteLength(policy) > 32_768) {
    throw new AwsError('LimitExceededException', 'Policy is larger than the 32 KB a key policy may hold.');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(policy);
  } catch {
    throw new AwsError('MalformedPolicyDocumentException', 'Policy is not valid JSON.');
  }
  const statement = (doc as { Statement?: unknown } | null)?.Statement;
  if (
    typeof doc !== 'object' ||
    doc === null ||
    (typeof statement !== 'object' && !Array.isArray(statement))
  ) {
    throw new AwsError('MalformedPolicyDocumentException', 'Policy must be a JSON object with a Statement.');
  }
  return policy;
};

const algorithmsOf = (key: KeyRecord): readonly string[] =>
  KEY_SPECS[key.KeySpec]?.usages[key.KeyUsage] ?? [];

/** The KMS key usage states for cryptographic operations (Key states of AWS KMS keys). */
const requireUsable = (key: KeyRecord): void => {
  switch (key.KeyState) {
    case 'Enabled':
      return;
    case 'Disabled':
      throw new AwsError('DisabledException', `${key.Arn} is disabled.`);
    case 'PendingImport':
      throw invalidState(`${key.Arn} is pending import: import its key material first (ImportKeyMaterial).`);
    case 'Creating':
      throw invalidState(`${key.Arn} is being created (a new replica key); try again in a moment.`);
    default:
      throw invalidState(`${key.Arn} is pending deletion.`);
  }
};

const requireNotPendingDeletion = (key: KeyRecord): void => {
  if (key.KeyState === 'PendingDeletion' || key.KeyState === 'PendingReplicaDeletion') {
    throw invalidState(`${key.Arn} is pending deletion.`);
  }
};

const requireCustomerManaged = (key: KeyRecord, operation: string): void => {
  if (key.KeyManager === 'AWS') {
    throw new AwsError(
      'UnsupportedOperationException',
      `${key.Arn} is an AWS managed key: ${operation} is not allowed on AWS managed keys.`,
    );
  }
};

const requireUsage = (key: KeyRecord, usage: KeyUsage, operation: string): void => {
  if (key.KeyUsage !== usage) {
    throw new AwsError(
      'InvalidKeyUsageException',
      `${key.Arn} key usage is ${key.KeyUsage} which is not valid for ${operation}; use a key with KeyUsage ${usage}.`,
    );
  }
};

const requireAlgorithm = (key: KeyRecord, algorithm: string, field: string): void => {
  if (!algorithmsOf(key).includes(algorithm)) {
    throw new AwsError(
      'InvalidKeyUsageException',
      `${field} ${algorithm} is not supported by ${key.Arn} (${key.KeySpec}); it supports ${algorithmsOf(key).join(', ')}.`,
    );
  }
};

const requireMaterial = (key: KeyRecord): string => {
  if (key.Material === undefined) throw invalidState(`${key.Arn} is pending import.`);
  return key.Material;
};

const dryRun = (input: Input): void => {
  if (optBool(input, 'DryRun')) {
    throw new AwsError(
      'DryRunOperationException',
      'The request would have succeeded, but the DryRun option is set.',
    );
  }
};

/**
 * The local KMS (`TrentService`, JSON 1.1) with real cryptography. State is per account and
 * Region; time comes from the endpoint clock, so tests can move through deletion windows.
 */
class LocalKms implements LocalService {
  public readonly targetPrefix = 'TrentService';
  public readonly jsonVersion = '1.1' as const;
  readonly #store = new KmsStore();
  /** IAM checks per operation and key policies (kms/authorization.ts); reads never create a Region. */
  public readonly authorization = kmsAuthorization(
    (account, region) => this.#store.regions.get(`${account}/${region}`) ?? { keys: {}, aliases: {} },
  );
  readonly #clock: Clock;
  readonly #ops: Record<string, Op>;

  public constructor(clock: Clock) {
    this.#clock = clock;
    this.#ops = {
      CreateKey: (i, c) => this.createKey(i, c),
      DescribeKey: (i, c) => ({
        KeyMetadata: this.metadata(this.resolve(c, i, 'KeyId', { alias: true, awsManaged: true })),
      }),
      ListKeys: (i, c) => this.listKeys(i, c),
      UpdateKeyDescription: (i, c) => this.updateKeyDescription(i, c),
      GetKeyPolicy: (i, c) => this.getKeyPolicy(i, c),
      PutKeyPolicy: (i, c) => this.putKeyPolicy(i, c),
      ListKeyPolicies: (i, c) => {
        this.resolve(c, i, 'KeyId');
        return { PolicyNames: ['default'], Truncated: false };
      },
      TagResource: (i, c) => this.tagResource(i, c),
      UntagResource: (i, c) => this.untagResource(i, c),
      ListResourceTags: (i, c) => {
        const { items, ...rest } = page(this.resolve(c, i, 'KeyId').Tags, i, 50);
        return { Tags: items, ...rest };
      },
      CreateAlias: (i, c) => this.createAlias(i, c),
      UpdateAlias: (i, c) => this.updateAlias(i, c),
      DeleteAlias: (i, c) => this.deleteAlias(i, c),
      ListAliases: (i, c) => this.listAliases(i, c),
      Encrypt: (i, c) => this.encrypt(i, c),
      Decrypt: (i, c) => this.decrypt(i, c),
      ReEncrypt: (i, c) => this.reEncrypt(i, c),
      GenerateDataKey: (i, c) => this.generateDataKey(i, c, true),
      GenerateDataKeyWithoutPlaintext: (i, c) => this.generateDataKey(i, c, false),
      GenerateRandom: (i) => ({ Plaintext: b64(randomBytes(optInt(i, 'NumberOfBytes', 1, 1024) ?? 32)) }),
      Sign: (i, c) => this.sign(i, c),
      Verify: (i, c) => this.verify(i, c),
      GenerateMac: (i, c) => this.generateMac(i, c),
      VerifyMac: (i, c) => this.verifyMac(i, c),
      GetPublicKey: (i, c) => this.getPublicKey(i, c),
      EnableKey: (i, c) => this.setEnabled(i, c, true),
      DisableKey: (i, c) => this.setEnabled(i, c, false),
      ScheduleKeyDeletion: (i, c) => this.scheduleKeyDeletion(i, c),
      CancelKeyDeletion: (i, c) => this.cancelKeyDeletion(i, c),
      CreateGrant: (i, c) => this.createGrant(i, c),
      ListGrants: (i, c) => this.listGrants(i, c),
      RevokeGrant: (i, c) => this.revokeGrant(i, c),
      RetireGrant: (i, c) => this.retireGrant(i, c),
      ReplicateKey: (i, c) => this.replicateKey(i, c),
      GetKeyRotationStatus: (i, c) => this.getKeyRotationStatus(i, c),
      RotateKeyOnDemand: (i, c) => this.rotateOnDemand(i, c),
      ListKeyRotations: (i, c) => this.listKeyRotations(i, c),
      EnableKeyRotation: (i, c) => this.setRotation(i, c, true),
      DisableKeyRotation: (i, c) => this.setRotation(i, c, false),
      GetParametersForImport: (i, c) => this.getParametersForImport(i, c),
      ImportKeyMaterial: (i, c) => this.importKeyMaterial(i, c),
      DeleteImportedKeyMaterial: (i, c) => this.deleteImportedKeyMaterial(i, c),
    };
  }

  public async handle(
    operation: string,
    input: Record<string, unknown>,
    ctx: RequestContext,
  ): Promise<unknown> {
    const op = this.#ops[operation];
    if (!op) {
      throw new AwsError(
        'UnknownOperationException',
        `The local KMS does not implement ${operation}; supported: ${Object.keys(this.#ops).join(', ')}.`,
      );
    }
    this.#store.sweep(ctx.now.getTime());
    return op(input, ctx);
  }

  public snapshot(): unknown {
    this.#store.sweep(this.#clock.now().getTime());
    return this.#store.snapshot();
  }

  public restore(state: unknown): void {
    this.#store.restore(state);
  }

  // -------------------------------------------------------------------------------------------
  // Resolution

  private regionOf(ctx: RequestContext): RegionState {
    return this.#store.region(ctx.accountId, ctx.region);
  }

  /**
   * Finds the key an identifier names. Key ID and key ARN always work; alias name and alias
   * ARN only where the operation documents them (`alias: true`): DisableKey,
   * ScheduleKeyDeletion and the other management operations take a key ID or key ARN only.
   */
  private resolve(
    ctx: RequestContext,
    input: Input,
    field: string,
    opts: { alias?: boolean; awsManaged?: boolean } = {},
  ): KeyRecord {
    return this.resolveId(ctx, reqString(input, field), field, opts);
  }

  private resolveId(
    ctx: RequestContext,
    raw: string,
    field: string,
    opts: { alias?: boolean; awsManaged?: boolean } = {},
  ): KeyRecord {
    let id = raw;
    const arn = KEY_ARN.exec(raw);
    if (arn) {
      if (arn[1] !== ctx.region || arn[2] !== ctx.accountId) {
        throw notFound(`${field} ${raw} is not in account ${ctx.accountId} Region ${ctx.region}.`);
      }
      id = arn[3] ?? '';
    }
    const state = this.regionOf(ctx);
    if (id.startsWith('alias/')) {
      if (!opts.alias) {
        throw notFound(
          `Invalid keyId ${raw}: this operation takes a key ID or key ARN, not an alias; resolve the alias with DescribeKey first.`,
        );
      }
      const alias = state.aliases[id] ?? (opts.awsManaged ? this.awsManagedAlias(ctx, id) : undefined);
      const key = alias ? state.keys[alias.TargetKeyId] : undefined;
      if (!key) throw notFound(`Alias ${aliasArn(ctx.region, ctx.accountId, id)} is not found.`);
      return this.settle(key);
    }
    if (id.startsWith('key/')) id = id.slice(4);
    const key = state.keys[id];
    if (!key) throw notFound(`Key '${keyArn(ctx.region, ctx.accountId, id)}' does not exist.`);
    return this.settle(key);
  }

  /**
   * DescribeKey on a predefined AWS alias (`alias/aws/<service>`) creates the AWS managed key
   * behind it on first use, as the DescribeKey API reference documents.
   */
  private awsManagedAlias(ctx: RequestContext, name: string): AliasRecord | undefined {
    if (!/^alias\/aws\/[a-z0-9-]+$/.test(name)) return undefined;
    const now = ctx.now.getTime();
    const keyId = randomUUID();
    const key: KeyRecord = {
      ...this.newKeyRecord(ctx, keyId, ctx.region, now),
      Description: `Default key that protects my ${name.slice('alias/aws/'.length)} resources when no other key is defined`,
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyManager: 'AWS',
      Material: randomBytes(32).toString('base64'),
      // AWS managed keys rotate every year, automatically.
      RotationEnabled: true,
      RotationPeriodInDays: 365,
      RotationEnabledAt: now,
    };
    const state = this.regionOf(ctx);
    state.keys[keyId] = key;
    const alias = { AliasName: name, TargetKeyId: keyId, CreationDate: now, LastUpdatedDate: now };
    state.aliases[name] = alias;
    return alias;
  }

  private newKeyRecord(ctx: RequestContext, keyId: string, region: string, now: number): KeyRecord {
    return {
      KeyId: keyId,
      Arn: keyArn(region, ctx.accountId, keyId),
      AWSAccountId: ctx.accountId,
      Region: region,
      CreationDate: now,
      Description: '',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      KeyState: 'Enabled',
      MultiRegion: false,
      Policy: defaultPolicy(ctx.accountId),
      Tags: [],
      ImportParameters: [],
      RotationEnabled: false,
      Grants: [],
    };
  }

  // -------------------------------------------------------------------------------------------
  // Keys

  /** KeyMetadata as DescribeKey returns it; algorithm lists appear only for the key's usage. */
  /** A replica leaves `Creating` once its moment has passed (AWS: usually within seconds). */
  private settle(key: KeyRecord): KeyRecord {
    if (key.KeyState === 'Creating' && (key.CreatingUntil ?? 0) <= this.#clock.now().getTime()) {
      key.KeyState = key.Material === undefined ? 'PendingImport' : 'Enabled';
      delete key.CreatingUntil;
    }
    return key;
  }

  private metadata(key: KeyRecord): Record<string, unknown> {
    this.settle(key);
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
      const primary = this.#store.primaryOf(key);
      const ref = (k: KeyRecord) => ({ Arn: k.Arn, Region: k.Region });
      out.MultiRegionConfiguration = {
        MultiRegionKeyType: key.Region === key.PrimaryRegion ? 'PRIMARY' : 'REPLICA',
        ...(primary ? { PrimaryKey: ref(primary) } : {}),
        ReplicaKeys: this.#store.replicasOf(key).map(ref),
      };
    }
    return out;
  }

  private async createKey(input: Input, ctx: RequestContext) {
    const description = optString(input, 'Description', 8192) ?? '';
    const policy = checkPolicy(optString(input, 'Policy', 32_768 * 2), ctx.accountId);
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
      ...this.newKeyRecord(ctx, keyId, ctx.region, now),
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
    this.regionOf(ctx).keys[keyId] = key;
    return { KeyMetadata: this.metadata(key) };
  }

  private listKeys(input: Input, ctx: RequestContext) {
    const keys = Object.values(this.regionOf(ctx).keys).map((k) => ({ KeyId: k.KeyId, KeyArn: k.Arn }));
    const { items, ...rest } = page(keys, input);
    return { Keys: items, ...rest };
  }

  private updateKeyDescription(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    requireCustomerManaged(key, 'UpdateKeyDescription');
    requireNotPendingDeletion(key);
    const description = optString(input, 'Description', 8192);
    if (description === undefined) throw validation('Description is required.');
    key.Description = description;
    return {};
  }

  private setEnabled(input: Input, ctx: RequestContext, enabled: boolean) {
    const key = this.resolve(ctx, input, 'KeyId');
    requireCustomerManaged(key, enabled ? 'EnableKey' : 'DisableKey');
    requireNotPendingDeletion(key);
    if (key.KeyState === 'PendingImport') {
      throw invalidState(
        `${key.Arn} is pending import: import its key material before enabling or disabling it.`,
      );
    }
    key.KeyState = enabled ? 'Enabled' : 'Disabled';
    return {};
  }

  private scheduleKeyDeletion(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    requireCustomerManaged(key, 'ScheduleKeyDeletion');
    const window = optInt(input, 'PendingWindowInDays', 7, 30) ?? 30;
    requireNotPendingDeletion(key);
    const now = ctx.now.getTime();
    key.PendingWindowInDays = window;
    // A multi-Region primary with replicas waits for them (PendingReplicaDeletion); its own
    // waiting period starts when the last replica is deleted.
    if (key.MultiRegion && key.Region === key.PrimaryRegion && this.#store.replicasOf(key).length > 0) {
      key.KeyState = 'PendingReplicaDeletion';
      delete key.DeletionDate;
      return { KeyId: key.Arn, KeyState: key.KeyState, PendingWindowInDays: window };
    }
    key.KeyState = 'PendingDeletion';
    key.DeletionDate = now + window * DAY_MS;
    return {
      KeyId: key.Arn,
      DeletionDate: seconds(key.DeletionDate),
      KeyState: key.KeyState,
      PendingWindowInDays: window,
    };
  }

  private cancelKeyDeletion(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    if (key.KeyState !== 'PendingDeletion' && key.KeyState !== 'PendingReplicaDeletion') {
      throw invalidState(`${key.Arn} is not pending deletion (it is ${key.KeyState}).`);
    }
    // A key whose deletion is cancelled comes back Disabled, not Enabled (AWS KMS guide).
    key.KeyState = key.Material === undefined ? 'PendingImport' : 'Disabled';
    delete key.DeletionDate;
    delete key.PendingWindowInDays;
    return { KeyId: key.Arn };
  }

  // -------------------------------------------------------------------------------------------
  // Policies and tags

  private getKeyPolicy(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    const name = optString(input, 'PolicyName') ?? 'default';
    if (name !== 'default')
      throw notFound(`PolicyName ${name} does not exist; the only key policy is 'default'.`);
    return { Policy: key.Policy, PolicyName: 'default' };
  }

  private putKeyPolicy(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    requireCustomerManaged(key, 'PutKeyPolicy');
    requireNotPendingDeletion(key);
    const name = optString(input, 'PolicyName') ?? 'default';
    if (name !== 'default') throw validation(`PolicyName must be 'default' (got '${name}').`);
    optBool(input, 'BypassPolicyLockoutSafetyCheck');
    key.Policy = checkPolicy(reqString(input, 'Policy', 32_768 * 2), ctx.accountId);
    return {};
  }

  private tagResource(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    requireCustomerManaged(key, 'TagResource');
    requireNotPendingDeletion(key);
    const tags = uniqueTags([...key.Tags, ...tagList(input, 'Tags')]);
    if (tags.length > 50) throw new AwsError('TagException', 'A KMS key can have at most 50 tags.');
    key.Tags = tags;
    return {};
  }

  private untagResource(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    requireCustomerManaged(key, 'UntagResource');
    requireNotPendingDeletion(key);
    const remove = new Set(optStringList(input, 'TagKeys') ?? []);
    key.Tags = key.Tags.filter((t) => !remove.has(t.TagKey));
    return {};
  }

  // -------------------------------------------------------------------------------------------
  // Aliases

  private aliasName(input: Input): string {
    const name = reqString(input, 'AliasName', 256);
    if (!ALIAS_NAME.test(name)) {
      throw new AwsError(
        'InvalidAliasNameException',
        `AliasName ${name} is not valid: it must start with alias/ and contain only letters, digits, /, _ and -.`,
      );
    }
    return name;
  }

  private createAlias(input: Input, ctx: RequestContext) {
    const name = this.aliasName(input);
    if (name.startsWith('alias/aws/')) {
      throw new AwsError(
        'InvalidAliasNameException',
        `AliasName ${name} uses the prefix alias/aws/, which is reserved for AWS managed keys.`,
      );
    }
    const state = this.regionOf(ctx);
    if (state.aliases[name]) {
      throw new AwsError(
        'AlreadyExistsException',
        `An alias with the name ${aliasArn(ctx.region, ctx.accountId, name)} already exists.`,
      );
    }
    const key = this.resolve(ctx, input, 'TargetKeyId');
    requireCustomerManaged(key, 'CreateAlias');
    requireNotPendingDeletion(key);
    const now = ctx.now.getTime();
    state.aliases[name] = {
      AliasName: name,
      TargetKeyId: key.KeyId,
      CreationDate: now,
      LastUpdatedDate: now,
    };
    return {};
  }

  private updateAlias(input: Input, ctx: RequestContext) {
    const name = this.aliasName(input);
    const state = this.regionOf(ctx);
    const alias = state.aliases[name];
    if (!alias) throw notFound(`Alias ${aliasArn(ctx.region, ctx.accountId, name)} is not found.`);
    const current = state.keys[alias.TargetKeyId];
    if (current) requireCustomerManaged(current, 'UpdateAlias');
    const key = this.resolve(ctx, input, 'TargetKeyId');
    requireCustomerManaged(key, 'UpdateAlias');
    requireNotPendingDeletion(key);
    // The current and new key must be the same type (symmetric, asymmetric or HMAC) and have the
    // same key usage, so code that uses the alias keeps working (UpdateAlias API reference).
    if (current && (keyType(current) !== keyType(key) || current.KeyUsage !== key.KeyUsage)) {
      throw validation(
        `${key.Arn} (${keyType(key)} ${key.KeyUsage}) cannot replace ${current.Arn} (${keyType(current)} ${current.KeyUsage}) under ${name}: UpdateAlias requires the same key type and key usage; use DeleteAlias and CreateAlias to move the alias to a different kind of key.`,
      );
    }
    alias.TargetKeyId = key.KeyId;
    alias.LastUpdatedDate = ctx.now.getTime();
    return {};
  }

  private deleteAlias(input: Input, ctx: RequestContext) {
    const name = this.aliasName(input);
    const state = this.regionOf(ctx);
    const alias = state.aliases[name];
    if (!alias) throw notFound(`Alias ${aliasArn(ctx.region, ctx.accountId, name)} is not found.`);
    const key = state.keys[alias.TargetKeyId];
    if (key) requireCustomerManaged(key, 'DeleteAlias');
    delete state.aliases[name];
    return {};
  }

  private listAliases(input: Input, ctx: RequestContext) {
    const keyId = optString(input, 'KeyId');
    const target = keyId === undefined ? undefined : this.resolveId(ctx, keyId, 'KeyId');
    const aliases = Object.values(this.regionOf(ctx).aliases)
      .filter((a) => target === undefined || a.TargetKeyId === target.KeyId)
      .sort((a, b) => (a.AliasName < b.AliasName ? -1 : 1))
      .map((a) => ({
        AliasName: a.AliasName,
        AliasArn: aliasArn(ctx.region, ctx.accountId, a.AliasName),
        TargetKeyId: a.TargetKeyId,
        CreationDate: seconds(a.CreationDate),
        LastUpdatedDate: seconds(a.LastUpdatedDate),
      }));
    const { items, ...rest } = page(aliases, input, 100);
    return { Aliases: items, ...rest };
  }

  // -------------------------------------------------------------------------------------------
  // Encryption

  private encryptWith(
    key: KeyRecord,
    plaintext: Buffer,
    context: Record<string, string>,
    algorithm: string,
  ): Buffer {
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
  }

  /** Decrypts a blob; `keyField` is the optional identifier field (KeyId or SourceKeyId). */
  private decryptWith(
    ctx: RequestContext,
    blob: Buffer,
    context: Record<string, string>,
    keyIdInput: string | undefined,
    keyField: string,
    algorithm: string,
  ): { key: KeyRecord; plaintext: Buffer } {
    const named =
      keyIdInput === undefined ? undefined : this.resolveId(ctx, keyIdInput, keyField, { alias: true });
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
      const key = named ?? this.resolveId(ctx, blobId, keyField);
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
  }

  private encrypt(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId', { alias: true });
    const plaintext = reqBlob(input, 'Plaintext', 1, 4096);
    const context = encryptionContext(input, 'EncryptionContext');
    const algorithm = optString(input, 'EncryptionAlgorithm') ?? 'SYMMETRIC_DEFAULT';
    const blob = this.encryptWith(key, plaintext, context, algorithm);
    dryRun(input);
    return { CiphertextBlob: b64(blob), KeyId: key.Arn, EncryptionAlgorithm: algorithm };
  }

  private decrypt(input: Input, ctx: RequestContext) {
    const blob = reqBlob(input, 'CiphertextBlob', 1, 6144);
    const algorithm = optString(input, 'EncryptionAlgorithm') ?? 'SYMMETRIC_DEFAULT';
    const { key, plaintext } = this.decryptWith(
      ctx,
      blob,
      encryptionContext(input, 'EncryptionContext'),
      optString(input, 'KeyId'),
      'KeyId',
      algorithm,
    );
    dryRun(input);
    return { KeyId: key.Arn, Plaintext: b64(plaintext), EncryptionAlgorithm: algorithm };
  }

  private reEncrypt(input: Input, ctx: RequestContext) {
    const blob = reqBlob(input, 'CiphertextBlob', 1, 6144);
    const sourceAlgorithm = optString(input, 'SourceEncryptionAlgorithm') ?? 'SYMMETRIC_DEFAULT';
    const destinationAlgorithm = optString(input, 'DestinationEncryptionAlgorithm') ?? 'SYMMETRIC_DEFAULT';
    const destination = this.resolve(ctx, input, 'DestinationKeyId', { alias: true });
    const { key: source, plaintext } = this.decryptWith(
      ctx,
      blob,
      encryptionContext(input, 'SourceEncryptionContext'),
      optString(input, 'SourceKeyId'),
      'SourceKeyId',
      sourceAlgorithm,
    );
    const out = this.encryptWith(
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
  }

  private generateDataKey(input: Input, ctx: RequestContext, withPlaintext: boolean) {
    const key = this.resolve(ctx, input, 'KeyId', { alias: true });
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
    const blob = this.encryptWith(
      key,
      plaintext,
      encryptionContext(input, 'EncryptionContext'),
      'SYMMETRIC_DEFAULT',
    );
    dryRun(input);
    return withPlaintext
      ? { CiphertextBlob: b64(blob), Plaintext: b64(plaintext), KeyId: key.Arn }
      : { CiphertextBlob: b64(blob), KeyId: key.Arn };
  }

  // -------------------------------------------------------------------------------------------
  // Signatures and MACs

  private signingInput(input: Input, ctx: RequestContext, operation: string) {
    const key = this.resolve(ctx, input, 'KeyId', { alias: true });
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
  }

  private sign(input: Input, ctx: RequestContext) {
    const { key, message, isDigest, algorithm, material } = this.signingInput(input, ctx, 'Sign');
    dryRun(input);
    return {
      KeyId: key.Arn,
      Signature: b64(signMessage(material, algorithm, message, isDigest)),
      SigningAlgorithm: algorithm,
    };
  }

  private verify(input: Input, ctx: RequestContext) {
    const { key, message, isDigest, algorithm, material } = this.signingInput(input, ctx, 'Verify');
    const signature = reqBlob(input, 'Signature', 1, 6144);
    dryRun(input);
    if (!verifyMessage(material, algorithm, message, isDigest, signature)) {
      throw new AwsError(
        'KMSInvalidSignatureException',
        'The signature verification failed: the signature does not match the message, key and signing algorithm.',
      );
    }
    return { KeyId: key.Arn, SignatureValid: true, SigningAlgorithm: algorithm };
  }

  private macInput(input: Input, ctx: RequestContext, operation: string) {
    const key = this.resolve(ctx, input, 'KeyId', { alias: true });
    const message = reqBlob(input, 'Message', 1, 4096);
    const algorithm = reqString(input, 'MacAlgorithm');
    requireUsable(key);
    requireUsage(key, 'GENERATE_VERIFY_MAC', operation);
    requireAlgorithm(key, algorithm, 'MacAlgorithm');
    return { key, algorithm, mac: hmac(key.KeySpec, requireMaterial(key), message) };
  }

  private generateMac(input: Input, ctx: RequestContext) {
    const { key, algorithm, mac } = this.macInput(input, ctx, 'GenerateMac');
    dryRun(input);
    return { Mac: b64(mac), MacAlgorithm: algorithm, KeyId: key.Arn };
  }

  private verifyMac(input: Input, ctx: RequestContext) {
    const { key, algorithm, mac } = this.macInput(input, ctx, 'VerifyMac');
    const given = reqBlob(input, 'Mac', 1, 6144);
    dryRun(input);
    if (given.length !== mac.length || !timingSafeEqual(given, mac)) {
      throw new AwsError(
        'KMSInvalidMacException',
        'The MAC verification failed: the MAC does not match the message and key.',
      );
    }
    return { KeyId: key.Arn, MacValid: true, MacAlgorithm: algorithm };
  }

  private getPublicKey(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId', { alias: true });
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
  }

  // -------------------------------------------------------------------------------------------
  // Grants

  private createGrant(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    requireNotPendingDeletion(key);
    const grantee = reqString(input, 'GranteePrincipal', 256);
    const retiring = optString(input, 'RetiringPrincipal', 256);
    const operations = optStringList(input, 'Operations');
    if (!operations || operations.length === 0) {
      throw validation(
        `Operations is required: list the operations the grant allows (${GRANT_OPERATIONS.join(', ')}).`,
      );
    }
    const supported = grantOperationsFor(KEY_SPECS[key.KeySpec]?.kind ?? 'SYMMETRIC', key.KeyUsage);
    for (const op of operations) {
      if (!(GRANT_OPERATIONS as readonly string[]).includes(op)) {
        throw validation(
          `Operations contains '${op}', which is not a grant operation; use: ${GRANT_OPERATIONS.join(', ')}.`,
        );
      }
      if (!supported.has(op)) {
        throw validation(
          `Operations contains ${op}, which ${key.Arn} (${key.KeySpec} ${key.KeyUsage}) does not support.`,
        );
      }
    }
    const constraints = input.Constraints;
    if (constraints !== undefined && constraints !== null) {
      if (typeof constraints !== 'object' || Array.isArray(constraints)) {
        throw validation(
          'Constraints must be an object with EncryptionContextSubset or EncryptionContextEquals.',
        );
      }
      if (keyType(key) !== 'SYMMETRIC') {
        throw validation('Encryption context grant constraints apply only to symmetric encryption KMS keys.');
      }
    }
    const name = optString(input, 'Name', 256);
    dryRun(input);
    const token = () => randomBytes(96).toString('base64url');
    // CreateGrant with the same Name and the same grant is idempotent: same GrantId.
    const same = name
      ? key.Grants.find(
          (g) =>
            g.Name === name &&
            g.GranteePrincipal === grantee &&
            g.RetiringPrincipal === retiring &&
            JSON.stringify(g.Operations) === JSON.stringify(operations) &&
            JSON.stringify(g.Constraints) === JSON.stringify(constraints ?? undefined),
        )
      : undefined;
    if (same) return { GrantToken: token(), GrantId: same.GrantId };
    if (key.Grants.length >= 50_000)
      throw new AwsError('LimitExceededException', 'The key has 50,000 grants already.');
    const grant: GrantRecord = {
      GrantId: randomBytes(32).toString('hex'),
      GrantToken: token(),
      ...(name ? { Name: name } : {}),
      CreationDate: ctx.now.getTime(),
      GranteePrincipal: grantee,
      ...(retiring ? { RetiringPrincipal: retiring } : {}),
      IssuingAccount: `arn:aws:iam::${ctx.accountId}:root`,
      Operations: [...operations],
      ...(constraints ? { Constraints: constraints as Record<string, unknown> } : {}),
    };
    key.Grants.push(grant);
    return { GrantToken: grant.GrantToken, GrantId: grant.GrantId };
  }

  private listGrants(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    const grantId = optString(input, 'GrantId');
    const grantee = optString(input, 'GranteePrincipal');
    const grants = key.Grants.filter(
      (g) =>
        (grantId === undefined || g.GrantId === grantId) &&
        (grantee === undefined || g.GranteePrincipal === grantee),
    ).map(({ GrantToken: _token, CreationDate, ...g }) => ({
      KeyId: key.Arn,
      ...g,
      CreationDate: seconds(CreationDate),
    }));
    const { items, ...rest } = page(grants, input, 100);
    return { Grants: items, ...rest };
  }

  private revokeGrant(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    const grantId = reqString(input, 'GrantId', 128);
    const before = key.Grants.length;
    key.Grants = key.Grants.filter((g) => g.GrantId !== grantId);
    if (key.Grants.length === before) throw notFound(`Grant ${grantId} does not exist on ${key.Arn}.`);
    return {};
  }

  private retireGrant(input: Input, ctx: RequestContext) {
    const token = optString(input, 'GrantToken', 8192);
    const grantId = optString(input, 'GrantId', 128);
    const keys = optString(input, 'KeyId')
      ? [this.resolve(ctx, input, 'KeyId')]
      : Object.values(this.regionOf(ctx).keys);
    if (token === undefined && grantId === undefined) {
      throw validation('Specify GrantToken, or KeyId and GrantId, to retire a grant.');
    }
    for (const key of keys) {
      const grant = key.Grants.find((g) => (token ? g.GrantToken === token : g.GrantId === grantId));
      if (grant) {
        key.Grants = key.Grants.filter((g) => g !== grant);
        return {};
      }
    }
    throw notFound('No grant matches the GrantToken or GrantId.');
  }

  // -------------------------------------------------------------------------------------------
  // Multi-Region keys

  private replicateKey(input: Input, ctx: RequestContext) {
    const primary = this.resolve(ctx, input, 'KeyId');
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
    const target = this.#store.region(ctx.accountId, replicaRegion);
    if (target.keys[primary.KeyId]) {
      throw new AwsError(
        'AlreadyExistsException',
        `${primary.KeyId} already has a copy in ${replicaRegion}.`,
      );
    }
    const policy = checkPolicy(optString(input, 'Policy', 32_768 * 2), ctx.accountId);
    optBool(input, 'BypassPolicyLockoutSafetyCheck');
    const tags = uniqueTags(tagList(input, 'Tags'));
    const now = ctx.now.getTime();
    // Key material, key spec, usage and origin are shared; policy, tags, description, aliases,
    // grants and key state belong to each Region (multi-Region keys, KMS Developer Guide).
    const replica: KeyRecord = {
      ...this.newKeyRecord(ctx, primary.KeyId, replicaRegion, now),
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
    target.keys[replica.KeyId] = replica;
    return {
      ReplicaKeyMetadata: this.metadata(replica),
      ReplicaPolicy: replica.Policy,
      ReplicaTags: replica.Tags,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Automatic rotation

  private rotatable(key: KeyRecord): void {
    if (keyType(key) !== 'SYMMETRIC' || key.Origin !== 'AWS_KMS') {
      throw new AwsError(
        'UnsupportedOperationException',
        `${key.Arn} is ${key.KeySpec} with origin ${key.Origin}: automatic key rotation is supported only on symmetric encryption keys with KMS-generated material; rotate it manually (new key, UpdateAlias).`,
      );
    }
  }

  private getKeyRotationStatus(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    this.rotatable(key);
    const rotationKey = this.#store.primaryOf(key) ?? key;
    if (!rotationKey.RotationEnabled) return { KeyRotationEnabled: false, KeyId: key.Arn };
    const period = rotationKey.RotationPeriodInDays ?? 365;
    return {
      KeyRotationEnabled: true,
      KeyId: key.Arn,
      RotationPeriodInDays: period,
      NextRotationDate: seconds(
        (rotationKey.RotationEnabledAt ?? rotationKey.CreationDate) + period * DAY_MS,
      ),
    };
  }

  /**
   * RotateKeyOnDemand: new key material at once; earlier material stays for decryption. A
   * multi-Region primary rotates its replicas too (they share material); a replica refuses.
   */
  private async rotateOnDemand(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    requireCustomerManaged(key, 'RotateKeyOnDemand');
    this.rotatable(key);
    if (key.MultiRegion && key.Region !== key.PrimaryRegion) {
      throw new AwsError(
        'UnsupportedOperationException',
        `${key.Arn} is a multi-Region replica: rotate its primary key in ${key.PrimaryRegion}, which rotates every replica.`,
      );
    }
    requireUsable(key);
    const onDemand = (key.Rotations ?? []).filter((r) => r.RotationType === 'ON_DEMAND').length;
    if (onDemand >= MAX_ON_DEMAND_ROTATIONS) {
      throw new AwsError(
        'LimitExceededException',
        `${key.Arn} has been rotated on demand ${onDemand} times, the most KMS allows for one key.`,
      );
    }
    const material = await generateMaterial(key.KeySpec);
    const now = ctx.now.getTime();
    const replicas = key.MultiRegion ? this.#store.replicasOf(key).filter((k) => k !== key) : [];
    for (const k of [key, ...replicas]) {
      if (k.Material !== undefined) k.PreviousMaterials = [k.Material, ...(k.PreviousMaterials ?? [])];
      k.Material = material;
      k.Rotations = [...(k.Rotations ?? []), { RotationDate: now, RotationType: 'ON_DEMAND' }];
    }
    return { KeyId: key.KeyId };
  }

  private listKeyRotations(input: Input, ctx: RequestContext) {
    const key = this.resolve(ctx, input, 'KeyId');
    this.rotatable(key);
    const limit = optInt(input, 'Limit', 1, 1000) ?? 100;
    const marker = optString(input, 'Marker', 320);
    const start = marker === undefined ? 0 : Number(marker);
    if (!Number.isInteger(start) || start < 0) {
      throw new AwsError('InvalidMarkerException', 'Marker must be the NextMarker of the previous response.');
    }
    const rotations = key.Rotations ?? [];
    const page = rotations.slice(start, start + limit);
    const truncated = start + limit < rotations.length;
    return {
      Rotations: page.map((r) => ({
        KeyId: key.KeyId,
        RotationDate: seconds(r.RotationDate),
        RotationType: r.RotationType,
      })),
      Truncated: truncated,
      ...(truncated ? { NextMarker: String(start + limit) } : {}),
    };
  }

  private setRotation(input: Input, ctx: RequestContext, enabled: boolean) {
    const key = this.resolve(ctx, input, 'KeyId');
    requireCustomerManaged(key, enabled ? 'EnableKeyRotation' : 'DisableKeyRotation');
    this.rotatable(key);
    if (key.MultiRegion && key.Region !== key.PrimaryRegion) {
      throw new AwsError(
        'UnsupportedOperationException',
        `${key.Arn} is a multi-Region replica: rotation is set on its primary key in ${key.PrimaryRegion}.`,
      );
    }
    requireUsable(key);
    const period = enabled ? (optInt(input, 'RotationPeriodInDays', 90, 2560) ?? 365) : undefined;
    key.RotationEnabled = enabled;
    if (period !== undefined) {
      key.RotationPeriodInDays = period;
      key.RotationEnabledAt = ctx.now.getTime();
    } else {
      delete key.RotationPeriodInDays;
      delete key.RotationEnabledAt;
    }
    return {};
  }

  // -------------------------------------------------------------------------------------------
  // Imported key material

  private externalKey(input: Input, ctx: RequestContext, operation: string): KeyRecord {
    const key = this.resolve(ctx, input, 'KeyId');
    if (key.Origin !== 'EXTERNAL') {
      throw new AwsError(
        'UnsupportedOperationException',
        `${key.Arn} has origin ${key.Origin}: ${operation} works only on keys created with Origin EXTERNAL.`,
      );
    }
    requireNotPendingDeletion(key);
    return key;
  }

  private async getParametersForImport(input: Input, ctx: RequestContext) {
    const key = this.externalKey(input, ctx, 'GetParametersForImport');
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
      // The public key and import token are valid for 24 hours.
      ParametersValidTo: now + DAY_MS,
    };
    key.ImportParameters = [
      ...key.ImportParameters.filter((p) => p.ParametersValidTo > now).slice(-4),
      params,
    ];
    return {
      KeyId: key.Arn,
      ImportToken: params.ImportToken,
      PublicKey: b64(publicKeyDer(wrappingKey)),
      ParametersValidTo: seconds(params.ParametersValidTo),
    };
  }

  private importKeyMaterial(input: Input, ctx: RequestContext) {
    const key = this.externalKey(input, ctx, 'ImportKeyMaterial');
    const token = reqBlob(input, 'ImportToken', 1, 6144);
    const encrypted = reqBlob(input, 'EncryptedKeyMaterial', 1, 6144);
    const model =
      optEnum(input, 'ExpirationModel', ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'] as const) ??
      'KEY_MATERIAL_EXPIRES';
    const validTo = optTimestamp(input, 'ValidTo');
    const now = ctx.now.getTime();
    if (model === 'KEY_MATERIAL_EXPIRES') {
      if (validTo === undefined)
        throw validation('ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.');
      if (validTo <= now || validTo > now + 365 * DAY_MS) {
        throw validation('ValidTo must be in the future and at most 365 days from now.');
      }
    } else if (validTo !== undefined) {
      throw validation('Omit ValidTo when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.');
    }
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
    // Every copy of a (multi-Region) key holds the same material; a reimport must match it.
    const known = this.#store.relatedKeys(key).find((k) => k.ImportedFingerprint)?.ImportedFingerprint;
    if (known !== undefined && known !== print) {
      throw new AwsError(
        'IncorrectKeyMaterialException',
        `The key material is not the material previously imported into ${key.KeyId}; a key can only receive the same material again.`,
      );
    }
    key.Material = accepted.material;
    key.ImportedFingerprint = print;
    key.ExpirationModel = model;
    if (validTo !== undefined) key.ValidTo = validTo;
    else delete key.ValidTo;
    if (key.KeyState === 'PendingImport') key.KeyState = 'Enabled';
    return { KeyId: key.Arn };
  }

  private deleteImportedKeyMaterial(input: Input, ctx: RequestContext) {
    const key = this.externalKey(input, ctx, 'DeleteImportedKeyMaterial');
    delete key.Material;
    delete key.ValidTo;
    delete key.ExpirationModel;
    key.KeyState = 'PendingImport';
    return { KeyId: key.Arn };
  }
}

/** Later tags with the same key replace earlier ones, as TagResource does. */
const uniqueTags = (tags: Tag[]): Tag[] => [...new Map(tags.map((t) => [t.TagKey, t])).values()];

/**
 * Creates the local KMS service (`X-Amz-Target: TrentService.*`, JSON 1.1).
 *
 * @param options.clock - the endpoint clock; key deletion windows and import token lifetimes
 *   are measured against it.
 */
export const createKms = (options: { clock: Clock }): LocalService => new LocalKms(options.clock);
