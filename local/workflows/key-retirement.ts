/**
 * A key rotation stopped after the alias swap (the `rekey` process running it locally was killed
 * in the grace or retention wait): the alias already uses the successor, the old key is still
 * enabled and nothing will retire it. Found from the evidence tags, finished by the workflow's own
 * retirement steps (check no alias still uses it, disable, wait the retention, schedule deletion).
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type { KeyRotationClients } from '../../functions/key-rotation/clients.js';
import { describeKeyOrUndefined, listAllTags } from '../../functions/key-rotation/kms.js';
import {
  checkPredecessorUnused,
  disablePredecessor,
  schedulePredecessorDeletion,
} from '../../functions/key-rotation/retire.js';
import { TAG, tagValue } from '../../functions/key-rotation/tags.js';
import type { KeyPlan } from '../../functions/key-rotation/types.js';

/** Where the steps are shown (the CLI's progress line). */
export interface RetirementProgress {
  step(name: string): void;
  wait(name: string, seconds: number): void;
  end(): void;
}

export interface UnfinishedRetirement {
  readonly alias: string;
  readonly region: string;
  /** The key in service behind the alias. */
  readonly keyArn: string;
  /** The key it replaced, still enabled. */
  readonly predecessorArn: string;
  readonly predecessorKeyId: string;
  /** The predecessor's replicas (multi-Region keys), retired with it. */
  readonly replicas: { region: string; keyArn: string }[];
  /** When the alias swap happened (rekey:rotated-at). */
  readonly rotatedAt: string;
}

/**
 * The retirement the alias's last rotation left unfinished: its key names a predecessor
 * (rekey:predecessor) that is still enabled and names this key as its successor.
 */
export const findUnfinishedRetirement = async (
  kms: KMSClient,
  alias: string,
  region: string,
): Promise<UnfinishedRetirement | undefined> => {
  const key = await describeKeyOrUndefined(kms, alias);
  if (!key?.KeyId || !key.Arn) return undefined;
  const tags = await listAllTags(kms, key.KeyId);
  const predecessor = tagValue(tags, TAG.predecessor);
  const rotatedAt = tagValue(tags, TAG.rotatedAt);
  if (!predecessor || !rotatedAt) return undefined;
  const old = await describeKeyOrUndefined(kms, predecessor);
  if (!old?.KeyId || !old.Arn || old.KeyState !== 'Enabled') return undefined;
  if (tagValue(await listAllTags(kms, old.KeyId), TAG.successor) !== key.Arn) return undefined;
  return {
    alias,
    region,
    keyArn: key.Arn,
    predecessorArn: old.Arn,
    predecessorKeyId: old.KeyId,
    replicas: (old.MultiRegionConfiguration?.ReplicaKeys ?? []).map((r) => ({
      region: r.Region ?? '',
      keyArn: r.Arn ?? '',
    })),
    rotatedAt,
  };
};

/**
 * Runs the workflow's retirement steps for the predecessor: they read only the alias, the old
 * key and its replicas and the deletion window from the plan, which is rebuilt from the tags.
 */
export const finishRetirement = async (
  clients: KeyRotationClients,
  found: UnfinishedRetirement,
  options: { retentionSeconds: number; pendingWindowInDays: number; progress: RetirementProgress },
): Promise<{ region: string; keyArn: string; deletionDate?: string }[]> => {
  const plan = {
    alias: found.alias,
    region: found.region,
    keyArn: found.predecessorArn,
    keyId: found.predecessorKeyId,
    replicas: found.replicas,
    pendingWindowInDays: options.pendingWindowInDays,
  } as Partial<KeyPlan> as KeyPlan;
  options.progress.step('Check Predecessor Unused');
  await checkPredecessorUnused(clients, plan);
  options.progress.step('Disable Predecessor Key');
  await disablePredecessor(clients, plan);
  if (options.retentionSeconds > 0) {
    options.progress.wait('Wait Retention Period', options.retentionSeconds);
    await new Promise((resolve) => setTimeout(resolve, options.retentionSeconds * 1000));
  }
  options.progress.step('Schedule Predecessor Deletion');
  const { keys } = await schedulePredecessorDeletion(clients, plan);
  options.progress.end();
  return keys;
};
