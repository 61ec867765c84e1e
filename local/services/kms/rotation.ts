import { AwsError } from '../../aws-error.js';
import { requireCustomerManaged, requireUsable } from './key-states.js';
import { DAY_MS, type KeyRecord, type KmsModel, keyType } from './model.js';

/**
 * Key rotation rules of the local KMS: which keys rotate, the automatic rotation schedule
 * (EnableKeyRotation, GetKeyRotationStatus) and on-demand rotation (RotateKeyOnDemand), where
 * earlier material stays to decrypt what it encrypted.
 */

/** "You can perform on-demand key rotation a maximum of 25 times per KMS key" (RotateKeyOnDemand). */
export const MAX_ON_DEMAND_ROTATIONS = 25;
/** Bounds of RotationPeriodInDays and its default (EnableKeyRotation API reference). */
export const ROTATION_PERIOD = { min: 90, max: 2560, default: 365 } as const;

/** Automatic and on-demand rotation exist only for symmetric keys with KMS-generated material. */
export const requireRotatable = (key: KeyRecord): void => {
  if (keyType(key) !== 'SYMMETRIC' || key.Origin !== 'AWS_KMS') {
    throw new AwsError(
      'UnsupportedOperationException',
      `${key.Arn} is ${key.KeySpec} with origin ${key.Origin}: automatic key rotation is supported only on symmetric encryption keys with KMS-generated material; rotate it manually (new key, UpdateAlias).`,
    );
  }
};

const requirePrimary = (key: KeyRecord, what: (primaryRegion: string | undefined) => string): void => {
  if (key.MultiRegion && key.Region !== key.PrimaryRegion) {
    throw new AwsError(
      'UnsupportedOperationException',
      `${key.Arn} is a multi-Region replica: ${what(key.PrimaryRegion)}.`,
    );
  }
};

/** GetKeyRotationStatus: a replica reports its primary's schedule (they share material). */
export const rotationStatus = (
  model: KmsModel,
  key: KeyRecord,
): { enabled: false } | { enabled: true; periodInDays: number; nextRotation: number } => {
  requireRotatable(key);
  const rotationKey = model.primaryOf(key) ?? key;
  if (!rotationKey.RotationEnabled) return { enabled: false };
  const periodInDays = rotationKey.RotationPeriodInDays ?? ROTATION_PERIOD.default;
  return {
    enabled: true,
    periodInDays,
    nextRotation: (rotationKey.RotationEnabledAt ?? rotationKey.CreationDate) + periodInDays * DAY_MS,
  };
};

/**
 * EnableKeyRotation and DisableKeyRotation. `period` reads RotationPeriodInDays once the key
 * checks have passed (the order KMS reports errors in).
 */
export const setRotation = (
  key: KeyRecord,
  enabled: boolean,
  period: () => number | undefined,
  now: number,
): void => {
  requireCustomerManaged(key, enabled ? 'EnableKeyRotation' : 'DisableKeyRotation');
  requireRotatable(key);
  requirePrimary(key, (region) => `rotation is set on its primary key in ${region}`);
  requireUsable(key);
  const days = enabled ? (period() ?? ROTATION_PERIOD.default) : undefined;
  key.RotationEnabled = enabled;
  if (days !== undefined) {
    key.RotationPeriodInDays = days;
    key.RotationEnabledAt = now;
  } else {
    delete key.RotationPeriodInDays;
    delete key.RotationEnabledAt;
  }
};

/** The checks RotateKeyOnDemand makes before new material is generated. */
export const checkOnDemandRotation = (key: KeyRecord): void => {
  requireCustomerManaged(key, 'RotateKeyOnDemand');
  requireRotatable(key);
  requirePrimary(key, (region) => `rotate its primary key in ${region}, which rotates every replica`);
  requireUsable(key);
  const onDemand = (key.Rotations ?? []).filter((r) => r.RotationType === 'ON_DEMAND').length;
  if (onDemand >= MAX_ON_DEMAND_ROTATIONS) {
    throw new AwsError(
      'LimitExceededException',
      `${key.Arn} has been rotated on demand ${onDemand} times, the most KMS allows for one key.`,
    );
  }
};

/**
 * RotateKeyOnDemand: `material` becomes current at once and the earlier material stays for
 * decryption. A multi-Region primary rotates its replicas too (they share material).
 */
export const rotateOnDemand = (model: KmsModel, key: KeyRecord, material: string, now: number): void => {
  checkOnDemandRotation(key);
  const replicas = key.MultiRegion ? model.replicasOf(key).filter((k) => k !== key) : [];
  for (const k of [key, ...replicas]) {
    if (k.Material !== undefined) k.PreviousMaterials = [k.Material, ...(k.PreviousMaterials ?? [])];
    k.Material = material;
    k.Rotations = [...(k.Rotations ?? []), { RotationDate: now, RotationType: 'ON_DEMAND' }];
  }
};
