import {
  CreateKeyCommand,
  type CustomerMasterKeySpec,
  type KeyMetadata,
  type KeyUsageType,
  ListKeysCommand,
  type OriginType,
  ReplicateKeyCommand,
  type Tag,
  TagResourceCommand,
} from '@aws-sdk/client-kms';
import { currentLogger } from '../lib/invocation.js';
import { allowingPropagation, withSuccessorStatement } from './access.js';
import type { KeyRotationClients } from './clients.js';
import { KeyMaterialImportTimeoutError, RotationInProgressError } from './errors.js';
import { describeKeyOrUndefined, isDeletedOrPending, listAllTags } from './kms.js';
import { TAG, tagValue, toTags } from './tags.js';
import type { ExecutionRef, KeyPlan, RegionalKey, SuccessorKey } from './types.js';

/** The message the workflow gives while it waits for key material (output and event). */
export const importInstructions = (successor: RegionalKey, regions: readonly string[]): string =>
  `Import key material into ${successor.keyArn}${regions.length > 1 ? ` (and its replicas in ${regions.filter((r) => r !== successor.region).join(', ')})` : ''}: call GetParametersForImport, wrap your key material with the returned public key, then ImportKeyMaterial. The rotation continues by itself once every Region has key material.`;

/** Scans the account's keys for the successor this execution made (only after a crash between CreateKey and tagging the old key). */
const findSuccessorByTags = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  rotationId: string,
): Promise<KeyMetadata | undefined> => {
  const kms = clients.kms(plan.region);
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListKeysCommand({ Marker: marker }));
    for (const key of page.Keys ?? []) {
      if (!key.KeyId || key.KeyId === plan.keyId) continue;
      const tags = await listAllTags(kms, key.KeyId);
      if (tagValue(tags, TAG.rotationId) === rotationId && tagValue(tags, TAG.successorOf) === plan.keyArn) {
        const meta = await describeKeyOrUndefined(kms, key.KeyId);
        if (!isDeletedOrPending(meta)) return meta;
      }
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return undefined;
};

/**
 * Finds the successor an earlier attempt of this execution made, through the old key's
 * `rekey:pending-successor` tag. A live successor of ANOTHER execution means a rotation is in
 * progress: the caller must not start a second one.
 */
export const findExistingSuccessor = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  rotationId: string,
): Promise<KeyMetadata | undefined> => {
  const kms = clients.kms(plan.region);
  const oldTags = await listAllTags(kms, plan.keyArn);
  const pendingArn = tagValue(oldTags, TAG.pendingSuccessor);
  if (pendingArn) {
    const meta = await describeKeyOrUndefined(kms, pendingArn);
    if (!isDeletedOrPending(meta)) {
      const owner = tagValue(await listAllTags(kms, pendingArn), TAG.rotationId);
      if (owner === rotationId) return meta;
      throw new RotationInProgressError(
        `Key ${plan.keyArn} already has a successor ${pendingArn} made by rotation ${owner ?? '(unknown)'}. Wait for that rotation to finish; if it was abandoned, schedule deletion of ${pendingArn} and remove the ${TAG.pendingSuccessor} tag from ${plan.keyArn}.`,
      );
    }
  }
  // The old key says this execution was about to create a key, but not which: an earlier
  // attempt stopped between CreateKey and TagResource. Only then is a scan worth its calls.
  if (tagValue(oldTags, TAG.pendingRotation) === rotationId) {
    return findSuccessorByTags(clients, plan, rotationId);
  }
  return undefined;
};

/** The successor's key policy: the old key's, plus rekey's statement when the role is known. */
const successorPolicy = (clients: KeyRotationClients, policy: string): string | undefined => {
  if (!policy) return undefined;
  return clients.access.roleArn ? withSuccessorStatement(policy, clients.access.roleArn) : policy;
};

/** Copies the old key's own tags onto a successor key (TagResource overwrites: safe to repeat). */
const copyTags = async (
  clients: KeyRotationClients,
  region: string,
  keyArn: string,
  tags: readonly Tag[],
  createdAt: Date | undefined,
): Promise<void> => {
  if (tags.length === 0) return;
  await allowingPropagation(createdAt, clients.now(), `TagResource on ${keyArn}`, () =>
    clients.kms(region).send(new TagResourceCommand({ KeyId: keyArn, Tags: [...tags] })),
  );
};

/** Creates the replicas the successor is still missing, copying each old replica's policy, tags and description. */
const ensureReplicas = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  successor: KeyMetadata,
  rotationId: string,
): Promise<RegionalKey[]> => {
  const existing = new Map(
    (successor.MultiRegionConfiguration?.ReplicaKeys ?? []).map((r) => [r.Region ?? '', r.Arn ?? '']),
  );
  const replicas: RegionalKey[] = [];
  for (const replica of plan.replicas) {
    let arn = existing.get(replica.region);
    if (!arn) {
      // Only rekey's own tags at creation (the role may set no others on a key it does not hold
      // yet); the old replica's tags are copied just below, through the replica's key policy.
      const made = await allowingPropagation(successor.CreationDate, clients.now(), 'ReplicateKey', () =>
        clients.kms(plan.region).send(
          new ReplicateKeyCommand({
            KeyId: successor.Arn,
            ReplicaRegion: replica.region,
            Policy: successorPolicy(clients, replica.policy),
            Description: replica.description,
            Tags: toTags({ [TAG.successorOf]: replica.keyArn, [TAG.rotationId]: rotationId }),
          }),
        ),
      );
      arn =
        made.ReplicaKeyMetadata?.Arn ??
        `${successor.Arn?.replace(`:${plan.region}:`, `:${replica.region}:`)}`;
      currentLogger().info('Replicated successor key', {
        successorKeyArn: successor.Arn,
        replicaRegion: replica.region,
      });
    }
    await copyTags(clients, replica.region, arn, replica.tags, successor.CreationDate);
    replicas.push({ region: replica.region, keyArn: arn });
  }
  return replicas;
};

/** Reads the key state in every Region and says which Regions still wait for key material. */
export const pendingImportRegions = async (
  clients: KeyRotationClients,
  keys: readonly RegionalKey[],
): Promise<string[]> => {
  const pending: string[] = [];
  for (const key of keys) {
    const meta = await describeKeyOrUndefined(clients.kms(key.region), key.keyArn);
    if (meta?.KeyState === 'PendingImport') pending.push(key.region);
  }
  return pending;
};

const describeSuccessor = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  meta: KeyMetadata,
  replicas: RegionalKey[],
  reused: boolean,
): Promise<SuccessorKey> => {
  const primary = { region: plan.region, keyArn: meta.Arn ?? '' };
  const all = [primary, ...replicas];
  const pending = meta.Origin === 'EXTERNAL' ? await pendingImportRegions(clients, all) : [];
  const created = meta.CreationDate ? new Date(meta.CreationDate) : clients.now();
  return {
    keyArn: primary.keyArn,
    keyId: meta.KeyId ?? '',
    region: plan.region,
    createdAt: created.toISOString(),
    replicas,
    pendingImport: pending.length > 0,
    pendingImportRegions: pending,
    ...(meta.Origin === 'EXTERNAL'
      ? {
          // Derived from the creation date so that every retry computes the same deadline.
          importDeadline: new Date(created.getTime() + plan.importTimeoutSeconds * 1000).toISOString(),
          importInstructions: importInstructions(primary, pending),
        }
      : {}),
    reused,
  };
};

/**
 * Step 2, Create Successor Key: a new key with the old key's KeySpec, KeyUsage, Origin,
 * Description, policy, tags and MultiRegion, plus replicas in the old key's replica Regions.
 * Idempotent: the old key is tagged with this execution before CreateKey and with the new
 * key's ARN right after it, so a retry finds the key it already made instead of making another.
 */
export const createSuccessor = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  execution: ExecutionRef,
): Promise<SuccessorKey> => {
  const kms = clients.kms(plan.region);
  const rotationId = execution.name;
  let meta = await findExistingSuccessor(clients, plan, rotationId);
  const reused = meta !== undefined;
  if (!meta) {
    await kms.send(
      new TagResourceCommand({ KeyId: plan.keyArn, Tags: toTags({ [TAG.pendingRotation]: rotationId }) }),
    );
    const created = await kms.send(
      new CreateKeyCommand({
        KeySpec: plan.keySpec as CustomerMasterKeySpec,
        KeyUsage: plan.keyUsage as KeyUsageType,
        Origin: plan.origin as OriginType,
        Description: plan.description,
        Policy: successorPolicy(clients, plan.policy),
        MultiRegion: plan.multiRegion,
        CustomKeyStoreId: plan.customKeyStoreId,
        // rekey's own tags only: the role may tag at creation with rekey:* keys and nothing else.
        Tags: toTags({ [TAG.successorOf]: plan.keyArn, [TAG.rotationId]: rotationId }),
      }),
    );
    meta = created.KeyMetadata;
    if (!meta?.Arn) throw new Error('CreateKey returned no key metadata.');
    await kms.send(
      new TagResourceCommand({ KeyId: plan.keyArn, Tags: toTags({ [TAG.pendingSuccessor]: meta.Arn }) }),
    );
    currentLogger().info('Created successor key', {
      keyArn: plan.keyArn,
      successorKeyArn: meta.Arn,
      origin: plan.origin,
    });
  } else {
    currentLogger().info('Found the successor key made by an earlier attempt', {
      keyArn: plan.keyArn,
      successorKeyArn: meta.Arn,
    });
  }
  await copyTags(clients, plan.region, meta.Arn ?? '', plan.tags, meta.CreationDate);
  const replicas = await ensureReplicas(clients, plan, meta, rotationId);
  return describeSuccessor(clients, plan, meta, replicas, reused);
};

/**
 * Step 2b, for EXTERNAL origin: re-reads the successor's key state in every Region. Fails
 * with KeyMaterialImportTimeoutError once the deadline passed with material still missing.
 */
export const checkKeyMaterialImport = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  successor: SuccessorKey,
): Promise<SuccessorKey> => {
  const all = [{ region: successor.region, keyArn: successor.keyArn }, ...successor.replicas];
  const pending = await pendingImportRegions(clients, all);
  const deadline = successor.importDeadline ? new Date(successor.importDeadline) : undefined;
  if (pending.length > 0 && deadline && clients.now() > deadline) {
    throw new KeyMaterialImportTimeoutError(
      `No key material was imported into ${successor.keyArn} (Regions ${pending.join(', ')}) within ${plan.importTimeoutSeconds} s; the successor will be scheduled for deletion. Start a new rotation and import the material while it waits.`,
    );
  }
  return {
    ...successor,
    pendingImport: pending.length > 0,
    pendingImportRegions: pending,
    ...(pending.length > 0
      ? {
          importInstructions: importInstructions(
            { region: successor.region, keyArn: successor.keyArn },
            pending,
          ),
        }
      : {}),
  };
};
