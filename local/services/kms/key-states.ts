import { AwsError } from '../../aws-error.js';
import { DAY_MS, invalidState, type KeyRecord, type KmsModel } from './model.js';
import { KEY_SPECS, type KeyUsage } from './specs.js';

/**
 * The key-state rules of the local KMS ("Key states of AWS KMS keys" in the KMS Developer
 * Guide): which states allow cryptographic use and management, and the transitions of
 * EnableKey, DisableKey, ScheduleKeyDeletion and CancelKeyDeletion.
 */

/** The algorithms a key's spec allows for its key usage. */
export const algorithmsOf = (key: KeyRecord): readonly string[] =>
  KEY_SPECS[key.KeySpec]?.usages[key.KeyUsage] ?? [];

/** The KMS key usage states for cryptographic operations. */
export const requireUsable = (key: KeyRecord): void => {
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

export const requireNotPendingDeletion = (key: KeyRecord): void => {
  if (key.KeyState === 'PendingDeletion' || key.KeyState === 'PendingReplicaDeletion') {
    throw invalidState(`${key.Arn} is pending deletion.`);
  }
};

export const requireCustomerManaged = (key: KeyRecord, operation: string): void => {
  if (key.KeyManager === 'AWS') {
    throw new AwsError(
      'UnsupportedOperationException',
      `${key.Arn} is an AWS managed key: ${operation} is not allowed on AWS managed keys.`,
    );
  }
};

export const requireUsage = (key: KeyRecord, usage: KeyUsage, operation: string): void => {
  if (key.KeyUsage !== usage) {
    throw new AwsError(
      'InvalidKeyUsageException',
      `${key.Arn} key usage is ${key.KeyUsage} which is not valid for ${operation}; use a key with KeyUsage ${usage}.`,
    );
  }
};

export const requireAlgorithm = (key: KeyRecord, algorithm: string, field: string): void => {
  if (!algorithmsOf(key).includes(algorithm)) {
    throw new AwsError(
      'InvalidKeyUsageException',
      `${field} ${algorithm} is not supported by ${key.Arn} (${key.KeySpec}); it supports ${algorithmsOf(key).join(', ')}.`,
    );
  }
};

export const requireMaterial = (key: KeyRecord): string => {
  if (key.Material === undefined) throw invalidState(`${key.Arn} is pending import.`);
  return key.Material;
};

/** EnableKey / DisableKey. */
export const setEnabled = (key: KeyRecord, enabled: boolean): void => {
  requireCustomerManaged(key, enabled ? 'EnableKey' : 'DisableKey');
  requireNotPendingDeletion(key);
  if (key.KeyState === 'PendingImport') {
    throw invalidState(
      `${key.Arn} is pending import: import its key material before enabling or disabling it.`,
    );
  }
  key.KeyState = enabled ? 'Enabled' : 'Disabled';
};

/**
 * ScheduleKeyDeletion: `PendingDeletion` until `now + window` days; a multi-Region primary with
 * replicas waits for them (`PendingReplicaDeletion`, no DeletionDate yet) and starts its own
 * waiting period when the last replica is deleted (see `KmsModel.sweep`).
 */
export const scheduleDeletion = (model: KmsModel, key: KeyRecord, window: number, now: number): void => {
  requireCustomerManaged(key, 'ScheduleKeyDeletion');
  requireNotPendingDeletion(key);
  key.PendingWindowInDays = window;
  if (key.MultiRegion && key.Region === key.PrimaryRegion && model.replicasOf(key).length > 0) {
    key.KeyState = 'PendingReplicaDeletion';
    delete key.DeletionDate;
    return;
  }
  key.KeyState = 'PendingDeletion';
  key.DeletionDate = now + window * DAY_MS;
};

/** CancelKeyDeletion: a key whose deletion is cancelled comes back Disabled, not Enabled (AWS KMS guide). */
export const cancelDeletion = (key: KeyRecord): void => {
  if (key.KeyState !== 'PendingDeletion' && key.KeyState !== 'PendingReplicaDeletion') {
    throw invalidState(`${key.Arn} is not pending deletion (it is ${key.KeyState}).`);
  }
  key.KeyState = key.Material === undefined ? 'PendingImport' : 'Disabled';
  delete key.DeletionDate;
  delete key.PendingWindowInDays;
};
