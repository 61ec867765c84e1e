import { AwsError } from '../../aws-error.js';
import type { Tag } from './input.js';
import { KEY_SPECS, type KeyKind, type KeyUsage } from './specs.js';

/** What the local KMS keeps per account and Region. Plain JSON, so snapshots are trivial. */

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

const DAY_MS = 86_400_000;

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

/** The store: all accounts and Regions, with the lazy clock-driven transitions. */
export class KmsStore {
  public regions = new Map<string, RegionState>();

  public region(account: string, region: string): RegionState {
    const id = `${account}/${region}`;
    let state = this.regions.get(id);
    if (!state) {
      state = { keys: {}, aliases: {} };
      this.regions.set(id, state);
    }
    return state;
  }

  /** Every copy of a multi-Region key (primary and replicas) in the account, by Region. */
  public relatedKeys(key: KeyRecord): KeyRecord[] {
    if (!key.MultiRegion) return [key];
    const out: KeyRecord[] = [];
    for (const [id, state] of this.regions) {
      if (!id.startsWith(`${key.AWSAccountId}/`)) continue;
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
      for (const state of this.regions.values()) {
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
    return { version: 1, regions: Object.fromEntries(structuredClone([...this.regions])) };
  }

  public restore(snapshot: unknown): void {
    this.regions.clear();
    if (snapshot === undefined || snapshot === null) return;
    const data = snapshot as Partial<KmsSnapshot>;
    if (data.version !== 1 || typeof data.regions !== 'object' || data.regions === null) {
      throw new Error('KMS state in the state file is not a version 1 snapshot of the local KMS.');
    }
    for (const [id, state] of Object.entries(data.regions)) {
      this.regions.set(id, structuredClone({ keys: state.keys ?? {}, aliases: state.aliases ?? {} }));
    }
  }
}
