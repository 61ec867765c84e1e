import {
  DeleteAliasCommand,
  NotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-kms';
import { logger } from '../lib/logger.js';
import { retiringAliasOf } from './access.js';
import type { KeyRotationClients } from './clients.js';
import { predecessorKeys, restoreSuccessorPolicies, successorKeys } from './evidence.js';
import { describeKeyOrUndefined, isDeletedOrPending, listAllTags } from './kms.js';
import { scheduleDeletion } from './retire.js';
import type { AliasMove } from './swap.js';
import { moveAlias } from './swap.js';
import { TAG, tagValue, toTags } from './tags.js';
import type { ExecutionRef, KeyPlan, RegionalKey, WorkflowState } from './types.js';

/**
 * The state names of the workflow, in order, with the result key each one writes. The first
 * step whose result is missing is the one that failed: Catch keeps everything before it.
 */
const STEPS: { state: string; resultKey: keyof WorkflowState; optional?: (s: WorkflowState) => boolean }[] = [
  { state: 'Plan Rotation', resultKey: 'plan' },
  { state: 'Create Successor Key', resultKey: 'successor' },
  { state: 'Verify Successor Key', resultKey: 'verification' },
  { state: 'Swap Alias', resultKey: 'swap' },
  { state: 'Record Rotation Evidence', resultKey: 'evidence' },
  {
    state: 'Re-encrypt Ciphertexts',
    resultKey: 'reencryption',
    optional: (s) => s.plan?.reencryptRequested !== true,
  },
  { state: 'Check Predecessor Unused', resultKey: 'retirementCheck' },
  { state: 'Disable Predecessor Key', resultKey: 'predecessorDisabled' },
  { state: 'Schedule Predecessor Deletion', resultKey: 'predecessorDeletion' },
];

/** Names the state that failed, from which results the execution state holds. */
export const failedStep = (state: WorkflowState): string => {
  for (const step of STEPS) {
    if (step.optional?.(state)) continue;
    if (state[step.resultKey] === undefined) {
      // The import loop rewrites `successor`; while it still waits, the loop is what failed.
      if (step.resultKey === 'verification' && state.successor?.pendingImport)
        return 'Check Key Material Import';
      return step.state;
    }
  }
  return 'Publish Success Event';
};

export interface RollbackResult {
  action: 'nothing-to-undo' | 'successor-scheduled-for-deletion' | 'alias-restored';
  successorKeyArn?: string;
  deletions?: { region: string; keyArn: string; deletionDate?: string }[];
  aliasMoves?: AliasMove[];
  note: string;
}

/** The successor of this execution: from the state, else from the old key's pending tag. */
const successorOf = async (
  clients: KeyRotationClients,
  state: WorkflowState,
  plan: KeyPlan,
  execution: ExecutionRef,
): Promise<RegionalKey[] | undefined> => {
  if (state.successor) return successorKeys(state.successor);
  // Create Successor Key failed after CreateKey: only the old key's tag knows the new key.
  const kms = clients.kms(plan.region);
  const pending = tagValue(await listAllTags(kms, plan.keyArn), TAG.pendingSuccessor);
  if (!pending) return undefined;
  const meta = await describeKeyOrUndefined(kms, pending);
  if (isDeletedOrPending(meta)) return undefined;
  if (tagValue(await listAllTags(kms, pending), TAG.rotationId) !== execution.name) return undefined;
  return [
    { region: plan.region, keyArn: pending },
    ...(meta?.MultiRegionConfiguration?.ReplicaKeys ?? []).map((r) => ({
      region: r.Region ?? '',
      keyArn: r.Arn ?? '',
    })),
  ];
};

const clearPendingTags = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  execution: ExecutionRef,
): Promise<void> => {
  const kms = clients.kms(plan.region);
  const tags = await listAllTags(kms, plan.keyArn);
  // Only our own marks: another execution's would mean it owns the rotation.
  if (tagValue(tags, TAG.pendingRotation) === execution.name) {
    await kms.send(
      new UntagResourceCommand({ KeyId: plan.keyArn, TagKeys: [TAG.pendingRotation, TAG.pendingSuccessor] }),
    );
  }
};

/**
 * Roll back before the swap: nothing depends on the successor yet (the alias never pointed at
 * it), so it and its replicas are scheduled for deletion with the shortest window (7 days).
 */
export const rollBackBeforeSwap = async (
  clients: KeyRotationClients,
  state: WorkflowState,
  execution: ExecutionRef,
): Promise<RollbackResult> => {
  const plan = state.plan;
  if (!plan) return { action: 'nothing-to-undo', note: 'The rotation stopped before it changed anything.' };
  const keys = await successorOf(clients, state, plan, execution);
  let result: RollbackResult;
  if (!keys || keys.length === 0 || !keys[0]) {
    result = {
      action: 'nothing-to-undo',
      note: 'No successor key had been created; the alias still uses the old key.',
    };
  } else {
    const deletions = await scheduleDeletion(clients, keys, 7);
    result = {
      action: 'successor-scheduled-for-deletion',
      successorKeyArn: keys[0].keyArn,
      deletions,
      note: `The alias still uses ${plan.keyArn}; the unused successor is scheduled for deletion (cancel with CancelKeyDeletion within 7 days if it is wanted).`,
    };
  }
  await clearPendingTags(clients, plan, execution);
  logger.info('Rolled back before the swap', { keyArn: plan.keyArn, action: result.action });
  return result;
};

/**
 * Roll back after the swap: the alias goes back to the old key in every Region (the old key is
 * still enabled: retirement has not begun). The successor stays ENABLED, tagged
 * `rekey:rolled-back-by`, because callers may already have encrypted or signed with it through
 * the alias; deleting it could lose data. The old key's rekey:* tags are restored, so its age is
 * computed as before.
 */
export const rollBackAfterSwap = async (
  clients: KeyRotationClients,
  state: WorkflowState,
  execution: ExecutionRef,
): Promise<RollbackResult> => {
  const plan = state.plan;
  const successor = state.successor;
  if (!plan || !successor) return rollBackBeforeSwap(clients, state, execution);
  // Evidence not recorded: the successor may still carry rekey's statement (it stays enabled,
  // unmanaged). Restored first, while the successor is still behind the managed alias, where the
  // role may read its policy even when the statement is already gone.
  if (state.evidence === undefined) await restoreSuccessorPolicies(clients, plan, successor);
  const aliasMoves: AliasMove[] = [];
  for (const region of plan.aliasRegions) {
    aliasMoves.push(await moveAlias(clients, region, plan.alias, successor.keyId, plan.keyId));
  }
  // Undo the evidence: restore the old key's own rekey:* tags and drop the ones this execution added.
  for (const key of predecessorKeys(plan)) {
    const kms = clients.kms(key.region);
    const original = key.region === plan.region ? plan.rekeyTags : [];
    const keep = new Set(original.map((t) => t.TagKey));
    const added = [TAG.rotatedAt, TAG.successor, TAG.execution].filter((k) => !keep.has(k));
    if (added.length > 0) await kms.send(new UntagResourceCommand({ KeyId: key.keyArn, TagKeys: added }));
    const restore = original.filter(
      (t) => t.TagKey !== TAG.pendingRotation && t.TagKey !== TAG.pendingSuccessor,
    );
    if (restore.length > 0) await kms.send(new TagResourceCommand({ KeyId: key.keyArn, Tags: restore }));
  }
  for (const key of successorKeys(successor)) {
    await clients
      .kms(key.region)
      .send(new TagResourceCommand({ KeyId: key.keyArn, Tags: toTags({ [TAG.rolledBack]: execution.id }) }));
  }
  // The old key is in service again behind the managed alias: its retiring alias goes.
  for (const region of plan.aliasRegions) {
    try {
      await clients
        .kms(region)
        .send(new DeleteAliasCommand({ AliasName: retiringAliasOf(clients.access, plan.keyId) }));
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
    }
  }
  await clearPendingTags(clients, plan, execution);
  logger.info('Rolled back after the swap', { keyArn: plan.keyArn, successorKeyArn: successor.keyArn });
  return {
    action: 'alias-restored',
    successorKeyArn: successor.keyArn,
    aliasMoves,
    note: `${plan.alias} points at ${plan.keyArn} again. The successor ${successor.keyArn} stays enabled because data may have been encrypted or signed with it while the alias used it; schedule its deletion once nothing depends on it.`,
  };
};
