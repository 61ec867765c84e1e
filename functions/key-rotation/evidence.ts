import {
  GetKeyPolicyCommand,
  PutKeyPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-kms';
import { hasSuccessorStatement } from './access.js';
import type { KeyRotationClients } from './clients.js';
import { TAG, toTags } from './tags.js';
import type { ExecutionRef, KeyPlan, RegionalKey, SuccessorKey } from './types.js';

export interface EvidenceResult {
  rotatedAt: string;
  predecessorKeyArn: string;
  successorKeyArn: string;
  execution: string;
}

/** The old key in every Region (primary first). */
export const predecessorKeys = (plan: KeyPlan): RegionalKey[] => [
  { region: plan.region, keyArn: plan.keyArn },
  ...plan.replicas.map((r) => ({ region: r.region, keyArn: r.keyArn })),
];

/** The new key in every Region (primary first). */
export const successorKeys = (successor: SuccessorKey): RegionalKey[] => [
  { region: successor.region, keyArn: successor.keyArn },
  ...successor.replicas,
];

/**
 * Gives every Region's successor exactly its predecessor's key policy again, dropping the
 * statement rekey added for the unproven key (access.ts). PutKeyPolicy replaces the whole
 * policy, so running it twice gives the same policy. Nothing to do when none was added, or when
 * it is gone already: the role may PutKeyPolicy only through that statement, so a second run
 * (a retried step, or a roll-back after the step restored it and then failed) must not try.
 */
export const restoreSuccessorPolicies = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  successor: SuccessorKey,
): Promise<void> => {
  if (!clients.access.roleArn) return;
  for (const key of successorKeys(successor)) {
    const policy =
      key.region === plan.region ? plan.policy : plan.replicas.find((r) => r.region === key.region)?.policy;
    if (!policy) continue;
    const kms = clients.kms(key.region);
    const current = await kms.send(new GetKeyPolicyCommand({ KeyId: key.keyArn, PolicyName: 'default' }));
    if (!hasSuccessorStatement(current.Policy)) continue;
    await kms.send(new PutKeyPolicyCommand({ KeyId: key.keyArn, PolicyName: 'default', Policy: policy }));
  }
};

/**
 * Step 8, Record Rotation Evidence: tags on both keys in every Region so an auditor can
 * follow the chain: `rekey:rotated-at`, `rekey:predecessor`/`rekey:successor` and
 * `rekey:execution`. Also clears the old key's pending-rotation tags. TagResource overwrites,
 * so running it twice gives the same tags.
 */
export const recordEvidence = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  successor: SuccessorKey,
  execution: ExecutionRef,
  rotatedAt: string,
): Promise<EvidenceResult> => {
  for (const key of successorKeys(successor)) {
    await clients.kms(key.region).send(
      new TagResourceCommand({
        KeyId: key.keyArn,
        Tags: toTags({
          [TAG.rotatedAt]: rotatedAt,
          [TAG.predecessor]: plan.keyArn,
          [TAG.execution]: execution.id,
        }),
      }),
    );
  }
  for (const key of predecessorKeys(plan)) {
    const kms = clients.kms(key.region);
    await kms.send(
      new TagResourceCommand({
        KeyId: key.keyArn,
        Tags: toTags({
          [TAG.rotatedAt]: rotatedAt,
          [TAG.successor]: successor.keyArn,
          [TAG.execution]: execution.id,
        }),
      }),
    );
  }
  await clients
    .kms(plan.region)
    .send(
      new UntagResourceCommand({ KeyId: plan.keyArn, TagKeys: [TAG.pendingRotation, TAG.pendingSuccessor] }),
    );
  // In service now: the successor is rekey's through the managed alias, like its predecessor was.
  await restoreSuccessorPolicies(clients, plan, successor);
  return {
    rotatedAt,
    predecessorKeyArn: plan.keyArn,
    successorKeyArn: successor.keyArn,
    execution: execution.id,
  };
};
