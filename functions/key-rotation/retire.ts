import { DisableKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { currentLogger } from '../lib/invocation.js';
import { allowingPropagation, retiringAliasOf } from './access.js';
import type { KeyRotationClients } from './clients.js';
import { PredecessorStillInUseError } from './errors.js';
import { predecessorKeys } from './evidence.js';
import { aliasesOf, describeKeyOrUndefined, grantsOf } from './kms.js';
import type { KeyPlan, RegionalKey } from './types.js';

/** A grant the predecessor still has: reported so its owner can move it to the successor. */
export interface GrantReport {
  region: string;
  grantId: string;
  name?: string;
  granteePrincipal?: string;
  operations: string[];
}

/**
 * Step 6a, Check Predecessor Unused: before the old key is disabled, no alias may point at it
 * in any Region (disabling would break that alias's users), and its grants are reported.
 */
export const checkPredecessorUnused = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
): Promise<{ checkedAt: string; grants: GrantReport[] }> => {
  const grants: GrantReport[] = [];
  const stillUsed: string[] = [];
  for (const key of predecessorKeys(plan)) {
    const kms = clients.kms(key.region);
    // The retiring alias is rekey's own mark (see access.ts), not a use of the key.
    const keyId = key.keyArn.split('/').pop() ?? key.keyArn;
    const retiring = retiringAliasOf(clients.access, keyId);
    for (const alias of await aliasesOf(kms, key.keyArn)) {
      if (alias !== retiring) stillUsed.push(`${alias} (${key.region})`);
    }
    for (const grant of await grantsOf(kms, key.keyArn)) {
      grants.push({
        region: key.region,
        grantId: grant.GrantId ?? '',
        ...(grant.Name ? { name: grant.Name } : {}),
        ...(grant.GranteePrincipal ? { granteePrincipal: grant.GranteePrincipal } : {}),
        operations: grant.Operations ?? [],
      });
    }
  }
  if (stillUsed.length > 0) {
    throw new PredecessorStillInUseError(
      `Key ${plan.keyArn} is still the target of ${stillUsed.join(', ')}: point those aliases at the successor (or another key) before the old key can be disabled. The rotated alias ${plan.alias} already uses the successor.`,
    );
  }
  if (grants.length > 0) {
    currentLogger().warn('Predecessor key still has grants; they stop working when it is disabled', {
      keyArn: plan.keyArn,
      grants: grants.length,
    });
  }
  return { checkedAt: clients.now().toISOString(), grants };
};

/** Step 6b, Disable Predecessor Key: DisableKey in every Region (each replica has its own key state). */
export const disablePredecessor = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  /** When the alias moved: the old key is reached through its retiring alias since then. */
  swappedAt?: string,
): Promise<{ disabledAt: string; keys: RegionalKey[] }> => {
  const keys = predecessorKeys(plan);
  for (const key of keys) {
    const kms = clients.kms(key.region);
    const meta = await describeKeyOrUndefined(kms, key.keyArn);
    // Already disabled by an earlier attempt: nothing to do.
    if (meta?.KeyState === 'Disabled') continue;
    await allowingPropagation(swappedAt, clients.now(), `DisableKey on ${key.keyArn}`, () =>
      kms.send(new DisableKeyCommand({ KeyId: key.keyArn })),
    );
    currentLogger().info('Disabled predecessor key', { keyArn: key.keyArn, region: key.region });
  }
  return { disabledAt: clients.now().toISOString(), keys };
};

/**
 * Schedules deletion of a key in every Region, replicas first (a multi-Region primary waits
 * in PendingReplicaDeletion until its replicas are gone). A key already pending deletion keeps
 * its date: safe to run twice.
 */
export const scheduleDeletion = async (
  clients: KeyRotationClients,
  keys: readonly RegionalKey[],
  pendingWindowInDays: number,
): Promise<{ region: string; keyArn: string; deletionDate?: string }[]> => {
  const results: { region: string; keyArn: string; deletionDate?: string }[] = [];
  for (const key of [...keys].reverse()) {
    const kms = clients.kms(key.region);
    const meta = await describeKeyOrUndefined(kms, key.keyArn);
    if (!meta) continue;
    if (meta.KeyState === 'PendingDeletion' || meta.KeyState === 'PendingReplicaDeletion') {
      results.push({
        ...key,
        ...(meta.DeletionDate ? { deletionDate: new Date(meta.DeletionDate).toISOString() } : {}),
      });
      continue;
    }
    const out = await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: key.keyArn, PendingWindowInDays: pendingWindowInDays }),
    );
    results.push({
      ...key,
      ...(out.DeletionDate ? { deletionDate: new Date(out.DeletionDate).toISOString() } : {}),
    });
    currentLogger().info('Scheduled key deletion', {
      keyArn: key.keyArn,
      region: key.region,
      pendingWindowInDays,
    });
  }
  return results.reverse();
};

/** Step 6c, Schedule Predecessor Deletion, with the configured pending window. */
export const schedulePredecessorDeletion = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
): Promise<{ keys: { region: string; keyArn: string; deletionDate?: string }[] }> => ({
  keys: await scheduleDeletion(clients, predecessorKeys(plan), plan.pendingWindowInDays),
});
