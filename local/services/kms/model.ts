import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from '../../aws-error.js';
import { RegionalStore } from '../../core/store.js';
import type { Clock } from '../../server.js';
import type { Tag } from './input.js';
import { defaultPolicy } from './policy.js';
import { KEY_SPECS, type KeyKind, type KeyUsage } from './specs.js';

/**
 * The model of the local KMS: the records it keeps per account and Region (plain JSON, so
 * snapshots are trivial), how identifiers resolve to keys, and the passage of time (deletion
 * windows, replicas becoming ready, imported material expiring). No HTTP and no input parsing:
 * the operations in `operations-*.ts` read the wire input and call into this.
 */

export type KeyState =
  | 'Enabled'
  | 'Disabled'
  | 'PendingDeletion'
  | 'PendingReplicaDeletion'
  | 'PendingImport'
  /** A replica key just made by ReplicateKey, for a moment (`CreatingUntil`). */
  | 'Creating';

export interface GrantRecord {
  GrantId: string;
  GrantToken: string;
  Name?: string;
  CreationDate: number;
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  IssuingAccount: string;
  Operations: string[];
  Constraints?: Record<string, unknown>;
}

export interface ImportParameters {
  ImportToken: string;
  /** Base64 PKCS#8 of the RSA wrapping key. */
  WrappingKey: string;
  WrappingAlgorithm: string;
  ParametersValidTo: number;
}

export interface KeyRecord {
  KeyId: string;
  Arn: string;
  AWSAccountId: string;
  Region: string;
  CreationDate: number;
  Description: string;
  KeySpec: string;
  KeyUsage: KeyUsage;
  Origin: 'AWS_KMS' | 'EXTERNAL';
  KeyManager: 'CUSTOMER' | 'AWS';
  KeyState: KeyState;
  DeletionDate?: number;
  PendingWindowInDays?: number;
  MultiRegion: boolean;
  /** Region of the multi-Region primary (this key's own Region when it is the primary). */
  PrimaryRegion?: string;
  Policy: string;
  Tags: Tag[];
  /** Base64 key material (raw secret, or PKCS#8 DER private key); absent while PendingImport. */
  Material?: string;
  /** SHA-256 of imported material: reimport must bring the same material. */
  ImportedFingerprint?: string;
  ValidTo?: number;
  ExpirationModel?: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';
  ImportParameters: ImportParameters[];
  RotationEnabled: boolean;
  RotationPeriodInDays?: number;
  RotationEnabledAt?: number;
  /** Key material replaced by rotations, newest first: ciphertexts made under it still decrypt. */
  PreviousMaterials?: string[];
  /** Completed rotations, oldest first (ListKeyRotations). */
  Rotations?: Array<{ RotationDate: number; RotationType: 'AUTOMATIC' | 'ON_DEMAND' }>;
  /** While `Creating`: when the replica is ready (epoch ms of the endpoint clock). */
  CreatingUntil?: number;
  Grants: GrantRecord[];
}

export interface AliasRecord {
  AliasName: string;
  TargetKeyId: string;
  CreationDate: number;
  LastUpdatedDate: number;
}

export interface RegionState {
  keys: Record<string, KeyRecord>;
  aliases: Record<string, AliasRecord>;
}

export interface KmsSnapshot {
  version: 1;
  /** `ACCOUNT/REGION` → that Region's keys and aliases. */
  regions: Record<string, RegionState>;
}

export const DAY_MS = 86_400_000;

export const keyArn = (region: string, account: string, keyId: string) =>
  `arn:aws:kms:${region}:${account}:key/${keyId}`;
export const aliasArn = (region: string, account: string, aliasName: string) =>
  `arn:aws:kms:${region}:${account}:${aliasName}`;

/** Symmetric, asymmetric or HMAC: the coarse "key type" UpdateAlias compares (RSA and ECC are alike). */
export const keyType = (key: KeyRecord): 'SYMMETRIC' | 'ASYMMETRIC' | 'HMAC' => {
  const kind: KeyKind = KEY_SPECS[key.KeySpec]?.kind ?? 'SYMMETRIC';
  return kind === 'RSA' || kind === 'ECC' ? 'ASYMMETRIC' : kind;
};

export const notFound = (message: string) => new AwsError('NotFoundException', message);
export const invalidState = (message: string) => new AwsError('KMSInvalidStateException', message);

const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key\/.+|alias\/.+)$/;

/** Where a request acts: the caller's account and Region. */
export interface Scope {
  readonly accountId: string;
  readonly region: string;
}

export interface ResolveOptions {
  /** The operation documents alias names and alias ARNs as valid identifiers. */
  alias?: boolean;
  /** `alias/aws/<service>` creates the AWS managed key behind it on first use (DescribeKey). */
  awsManaged?: boolean;
}

/** What an authorization check needs to know about one key (see `KmsModel.keyForAuthorization`). */
export interface KeyAuthorizationView {
  arn: string;
  keyId: string;
  policy: string;
  /** Alias names (`alias/...`) that point at the key in its Region. */
  aliases: string[];
  tags: Tag[];
}

/** All accounts and Regions of the local KMS, with the lazy clock-driven transitions. */
export class KmsModel {
  readonly #store = new RegionalStore<RegionState>(() => ({ keys: {}, aliases: {} }));
  readonly #clock: Clock;

  public constructor(clock: Clock) {
    this.#clock = clock;
  }

  public region(account: string, region: string): RegionState {
    return this.#store.at(account, region);
  }

  /** The Region's keys and aliases if it has any, without creating it (authorization reads). */
  public peekRegion(account: string, region: string): RegionState | undefined {
    return this.#store.peek(account, region);
  }

  /**
   * Finds the key an identifier names. Key ID and key ARN always work; alias name and alias
   * ARN only where the operation documents them (`alias: true`): DisableKey,
   * ScheduleKeyDeletion and the other management operations take a key ID or key ARN only.
   */
  public resolve(scope: Scope, raw: string, field: string, opts: ResolveOptions = {}): KeyRecord {
    let id = raw;
    const arn = KEY_ARN.exec(raw);
    if (arn) {
      if (arn[1] !== scope.region || arn[2] !== scope.accountId) {
        throw notFound(`${field} ${raw} is not in account ${scope.accountId} Region ${scope.region}.`);
      }
      id = arn[3] ?? '';
    }
    const state = this.region(scope.accountId, scope.region);
    if (id.startsWith('alias/')) {
      if (!opts.alias) {
        throw notFound(
          `Invalid keyId ${raw}: this operation takes a key ID or key ARN, not an alias; resolve the alias with DescribeKey first.`,
        );
      }
      const alias = state.aliases[id] ?? (opts.awsManaged ? this.awsManagedAlias(scope, id) : undefined);
      const key = alias ? state.keys[alias.TargetKeyId] : undefined;
      if (!key) throw notFound(`Alias ${aliasArn(scope.region, scope.accountId, id)} is not found.`);
      return this.settle(key);
    }
    if (id.startsWith('key/')) id = id.slice(4);
    const key = state.keys[id];
    if (!key) throw notFound(`Key '${keyArn(scope.region, scope.accountId, id)}' does not exist.`);
    return this.settle(key);
  }

  /**
   * The ARN, key policy, aliases and tags of the key `id` (key ID, key ARN, alias name or alias
   * ARN) in one account and Region, for authorization checks; undefined when there is no such key.
   */
  public keyForAuthorization(account: string, region: string, id: string): KeyAuthorizationView | undefined {
    if (this.#store.peek(account, region) === undefined) return undefined;
    let key: KeyRecord;
    try {
      key = this.resolve({ accountId: account, region }, id, 'KeyId', { alias: true });
    } catch {
      return undefined;
    }
    const aliases = Object.values(this.region(account, region).aliases)
      .filter((a) => a.TargetKeyId === key.KeyId)
      .map((a) => a.AliasName)
      .sort();
    return {
      arn: key.Arn,
      keyId: key.KeyId,
      policy: key.Policy,
      aliases,
      tags: key.Tags.map((t) => ({ ...t })),
    };
  }

  /** A key record with the defaults of a new customer managed symmetric key. */
  public newKeyRecord(account: string, keyId: string, region: string, now: number): KeyRecord {
    return {
      KeyId: keyId,
      Arn: keyArn(region, account, keyId),
      AWSAccountId: account,
      Region: region,
      CreationDate: now,
      Description: '',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      KeyState: 'Enabled',
      MultiRegion: false,
      Policy: defaultPolicy(account),
      Tags: [],
      ImportParameters: [],
      RotationEnabled: false,
      Grants: [],
    };
  }

  public addKey(key: KeyRecord): void {
    this.region(key.AWSAccountId, key.Region).keys[key.KeyId] = key;
  }

  /**
   * DescribeKey on a predefined AWS alias (`alias/aws/<service>`) creates the AWS managed key
   * behind it on first use, as the DescribeKey API reference documents.
   */
  private awsManagedAlias(scope: Scope, name: string): AliasRecord | undefined {
    if (!/^alias\/aws\/[a-z0-9-]+$/.test(name)) return undefined;
    const now = this.#clock.now().getTime();
    const keyId = randomUUID();
    this.addKey({
      ...this.newKeyRecord(scope.accountId, keyId, scope.region, now),
      Description: `Default key that protects my ${name.slice('alias/aws/'.length)} resources when no other key is defined`,
      KeyManager: 'AWS',
      Material: randomBytes(32).toString('base64'),
      // AWS managed keys rotate every year, automatically.
      RotationEnabled: true,
      RotationPeriodInDays: 365,
      RotationEnabledAt: now,
    });
    const alias = { AliasName: name, TargetKeyId: keyId, CreationDate: now, LastUpdatedDate: now };
    this.region(scope.accountId, scope.region).aliases[name] = alias;
    return alias;
  }

  /** A replica leaves `Creating` once its moment has passed (AWS: usually within seconds). */
  public settle(key: KeyRecord): KeyRecord {
    if (key.KeyState === 'Creating' && (key.CreatingUntil ?? 0) <= this.#clock.now().getTime()) {
      key.KeyState = key.Material === undefined ? 'PendingImport' : 'Enabled';
      delete key.CreatingUntil;
    }
    return key;
  }

  /** Every copy of a multi-Region key (primary and replicas) in the account, by Region. */
  public relatedKeys(key: KeyRecord): KeyRecord[] {
    if (!key.MultiRegion) return [key];
    const out: KeyRecord[] = [];
    for (const [, state] of this.#store.regionsOf(key.AWSAccountId)) {
      const other = state.keys[key.KeyId];
      if (other) out.push(other);
    }
    return out;
  }

  public primaryOf(key: KeyRecord): KeyRecord | undefined {
    return this.relatedKeys(key).find((k) => k.Region === k.PrimaryRegion);
  }

  public replicasOf(key: KeyRecord): KeyRecord[] {
    return this.relatedKeys(key).filter((k) => k.Region !== k.PrimaryRegion);
  }

  /**
   * Applies what the passage of time does on AWS: keys past their DeletionDate are deleted
   * with their aliases and grants; a multi-Region primary waiting for its replicas starts its
   * own waiting period once the last replica is gone; imported material past ValidTo expires.
   * Runs lazily before each request (the clock may have been moved by a test).
   */
  public sweep(now: number): void {
    let changed = true;
    while (changed) {
      changed = false;
      for (const [, state] of this.#store.entries()) {
        for (const key of Object.values(state.keys)) {
          if (
            key.KeyState === 'PendingDeletion' &&
            key.DeletionDate !== undefined &&
            key.DeletionDate <= now
          ) {
            this.deleteKey(state, key);
            changed = true;
          } else if (key.KeyState === 'PendingReplicaDeletion' && this.replicasOf(key).length === 0) {
            key.KeyState = 'PendingDeletion';
            key.DeletionDate = (key.DeletionDate ?? now) + (key.PendingWindowInDays ?? 30) * DAY_MS;
            changed = true;
          } else if (
            key.Material !== undefined &&
            key.ExpirationModel === 'KEY_MATERIAL_EXPIRES' &&
            key.ValidTo !== undefined &&
            key.ValidTo <= now
          ) {
            // Expired imported material is deleted and the key waits for a reimport.
            delete key.Material;
            if (key.KeyState === 'Enabled' || key.KeyState === 'Disabled') key.KeyState = 'PendingImport';
            changed = true;
          }
        }
      }
    }
  }

  private deleteKey(state: RegionState, key: KeyRecord): void {
    delete state.keys[key.KeyId];
    for (const alias of Object.values(state.aliases)) {
      if (alias.TargetKeyId === key.KeyId) delete state.aliases[alias.AliasName];
    }
    // A primary waiting for this replica starts its own window from the moment it is gone.
    if (key.MultiRegion && key.Region !== key.PrimaryRegion) {
      const primary = this.primaryOf(key);
      if (primary?.KeyState === 'PendingReplicaDeletion') {
        const gone = key.DeletionDate ?? 0;
        primary.DeletionDate = Math.max(primary.DeletionDate ?? 0, gone);
      }
    }
  }

  public snapshot(): KmsSnapshot {
    this.sweep(this.#clock.now().getTime());
    return { version: 1, regions: this.#store.snapshot((state) => structuredClone(state)) };
  }

  public restore(snapshot: unknown): void {
    if (snapshot === undefined || snapshot === null) {
      this.#store.clear();
      return;
    }
    const data = snapshot as Partial<KmsSnapshot>;
    if (data.version !== 1 || typeof data.regions !== 'object' || data.regions === null) {
      throw new Error('KMS state in the state file is not a version 1 snapshot of the local KMS.');
    }
    this.#store.restore<Partial<RegionState>>(
      data.regions,
      (state) => structuredClone({ keys: state.keys ?? {}, aliases: state.aliases ?? {} }),
      'KMS state in the state file',
    );
  }
}
