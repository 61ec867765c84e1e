/**
 * The rules of a secret's versions and staging labels, as the Secrets Manager API reference states
 * them, over plain records (no HTTP, no store): a staging label sits on one version at a time,
 * moving AWSCURRENT moves AWSPREVIOUS to the version it left, versions are immutable (reusing a
 * ClientRequestToken with other data is ResourceExistsException), the first version gets
 * AWSCURRENT, and unlabelled versions beyond ~100 are pruned once older than 24 hours.
 */
import { AwsError } from '../../aws-error.js';
import {
  CURRENT,
  PENDING,
  PREVIOUS,
  type SecretRecord,
  type SecretValue,
  type VersionRecord,
} from './records.js';
import { isCron, nextRotationDate } from './schedule.js';

/**
 * "Secrets Manager removes unlabeled versions when there are more than 100, but it does not remove
 * versions created less than 24 hours ago" (Secrets Manager quotas).
 */
export const MAX_VERSIONS = 100;
const PRUNE_AFTER_MS = 24 * 3_600_000;

export const holderOf = (secret: SecretRecord, stage: string): VersionRecord | undefined =>
  secret.versions.find((v) => v.stages.includes(stage));

export const versionById = (secret: SecretRecord, id: string): VersionRecord | undefined =>
  secret.versions.find((v) => v.versionId === id);

export const removeStage = (secret: SecretRecord, stage: string): void => {
  for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== stage);
};

/**
 * Attaches `stage` to `version`, taking it off any other version (a label sits on one version
 * at a time). Moving AWSCURRENT moves AWSPREVIOUS to the version it left.
 */
export const attachStage = (secret: SecretRecord, version: VersionRecord, stage: string): void => {
  if (version.stages.includes(stage)) return;
  const previousHolder = holderOf(secret, stage);
  removeStage(secret, stage);
  version.stages.push(stage);
  if (stage === CURRENT && previousHolder && previousHolder !== version) {
    removeStage(secret, PREVIOUS);
    previousHolder.stages.push(PREVIOUS);
  }
};

const prunable = (v: VersionRecord, now: number) =>
  v.stages.length === 0 && v.createdMs <= now - PRUNE_AFTER_MS;

/** Removes the oldest deprecated (unlabelled) versions beyond the ~100 versions AWS keeps. */
export const prune = (secret: SecretRecord, now: number): void => {
  while (secret.versions.length > MAX_VERSIONS) {
    const index = secret.versions.findIndex((v) => prunable(v, now));
    if (index < 0) return;
    secret.versions.splice(index, 1);
  }
};

export const sameValue = (v: VersionRecord, value: SecretValue): boolean =>
  v.secretString === value.secretString && v.secretBinary === value.secretBinary;

/** False for the placeholder RotateSecret creates, until the function's createSecret stores a value. */
export const hasValue = (v: VersionRecord): boolean =>
  v.secretString !== undefined || v.secretBinary !== undefined;

/**
 * Stores a value as version `token` with `stages`: the shared rule of CreateSecret,
 * PutSecretValue and UpdateSecret. An existing version with the same data is a no-op; with other
 * data it is ResourceExistsException (versions are immutable). A valueless version (the rotation
 * placeholder RotateSecret creates) may receive its value once.
 */
export const putVersion = (
  secret: SecretRecord,
  token: string,
  value: SecretValue,
  stages: string[],
  now: number,
): VersionRecord => {
  const existing = versionById(secret, token);
  if (existing && hasValue(existing)) {
    if (sameValue(existing, value)) return existing;
    throw new AwsError(
      'ResourceExistsException',
      `A version with ClientRequestToken ${token} already exists with different data; you can't modify an existing version, you can only create new versions. Use a new ClientRequestToken.`,
    );
  }
  if (!existing && secret.versions.length >= MAX_VERSIONS && !secret.versions.some((v) => prunable(v, now))) {
    throw new AwsError(
      'LimitExceededException',
      `The secret already has ${secret.versions.length} versions and none can be removed: Secrets Manager removes only unlabelled versions older than 24 hours. Update the value less often (at most once every 10 minutes is recommended) or remove labels from old versions.`,
    );
  }
  // "If this operation creates the first version for the secret, then Secrets Manager
  // automatically attaches the staging label AWSCURRENT to the new version." (PutSecretValue)
  const labels = secret.versions.length === 0 && !stages.includes(CURRENT) ? [...stages, CURRENT] : stages;
  const version: VersionRecord = existing ?? { versionId: token, stages: [], createdMs: now };
  if (value.secretString !== undefined) version.secretString = value.secretString;
  if (value.secretBinary !== undefined) version.secretBinary = value.secretBinary;
  if (!existing) secret.versions.push(version);
  for (const stage of labels) attachStage(secret, version, stage);
  secret.lastChangedMs = now;
  // "Manually updating the secret value by calling PutSecretValue or UpdateSecret is considered
  // a valid rotation" (RotationRulesType): an interval schedule counts from it.
  if (
    labels.includes(CURRENT) &&
    secret.rotationEnabled &&
    secret.rotationRules &&
    !isCron(secret.rotationRules)
  ) {
    secret.nextRotationMs = nextRotationDate(secret.rotationRules, now, now);
  }
  prune(secret, now);
  return version;
};

/**
 * Adds the valueless version RotateSecret stages as AWSPENDING (the function's createSecret step
 * stores its value), unless version `token` exists already (a retried rotation).
 */
export const addPendingPlaceholder = (secret: SecretRecord, token: string, now: number): void => {
  if (versionById(secret, token)) return;
  if (secret.versions.length >= MAX_VERSIONS) prune(secret, now);
  const placeholder: VersionRecord = { versionId: token, stages: [], createdMs: now };
  secret.versions.push(placeholder);
  attachStage(secret, placeholder, PENDING);
  prune(secret, now);
};

/** Versions with at least one label; unlabelled ones are deprecated and not reported. */
export const stagesMap = (secret: SecretRecord): Record<string, string[]> =>
  Object.fromEntries(secret.versions.filter((v) => v.stages.length).map((v) => [v.versionId, [...v.stages]]));
