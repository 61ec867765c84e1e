import { AlreadyExistsException, CreateAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-kms';
import { currentLogger } from '../lib/invocation.js';
import { retiringAliasOf } from './access.js';
import type { KeyRotationClients } from './clients.js';
import { AliasNotFoundError, KeyRotationError } from './errors.js';
import { describeKeyOrUndefined } from './kms.js';
import type { KeyPlan, SuccessorKey } from './types.js';

export interface AliasMove {
  region: string;
  from: string;
  to: string;
  /** False when the alias already pointed at the target (a retried step). */
  changed: boolean;
}

/**
 * Points `alias` at `toKeyId` in `region` if it points at `fromKeyId`. Already at the target:
 * nothing to do (safe to run twice). At a third key: someone else moved it, and the workflow
 * must not overwrite their change.
 */
export const moveAlias = async (
  clients: KeyRotationClients,
  region: string,
  alias: string,
  fromKeyId: string,
  toKeyId: string,
): Promise<AliasMove> => {
  const kms = clients.kms(region);
  const current = await describeKeyOrUndefined(kms, alias);
  if (!current?.KeyId) throw new AliasNotFoundError(`Alias ${alias} no longer exists in ${region}.`);
  if (current.KeyId === toKeyId) return { region, from: fromKeyId, to: toKeyId, changed: false };
  if (current.KeyId !== fromKeyId) {
    throw new KeyRotationError(
      `Alias ${alias} in ${region} now points at ${current.KeyId}, neither ${fromKeyId} nor ${toKeyId}: someone else moved it during the rotation; rekey leaves it alone.`,
    );
  }
  // A multi-Region key's replicas share its key id, so the same id names the key in every Region.
  await kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: toKeyId }));
  currentLogger().info('Moved alias', { alias, region, from: fromKeyId, to: toKeyId });
  return { region, from: fromKeyId, to: toKeyId, changed: true };
};

/**
 * Gives the old key its retiring alias in `region` while it still has the managed alias (the
 * only time rekey's role may alias it): after the swap, disabling and deleting it are granted
 * through this alias, never through a tag. Already there (a retried step): nothing to do.
 */
const markRetiring = async (clients: KeyRotationClients, region: string, keyId: string): Promise<void> => {
  try {
    await clients
      .kms(region)
      .send(
        new CreateAliasCommand({ AliasName: retiringAliasOf(clients.access, keyId), TargetKeyId: keyId }),
      );
  } catch (error) {
    if (!(error instanceof AlreadyExistsException)) throw error;
  }
};

/**
 * Step 4, Swap Alias: in every Region where the alias pointed at the old key, give the old key
 * its retiring alias, then UpdateAlias to the successor.
 */
export const swapAlias = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  successor: SuccessorKey,
): Promise<{ swappedAt: string; moves: AliasMove[] }> => {
  const moves: AliasMove[] = [];
  for (const region of plan.aliasRegions) {
    await markRetiring(clients, region, plan.keyId);
    moves.push(await moveAlias(clients, region, plan.alias, plan.keyId, successor.keyId));
  }
  return { swappedAt: clients.now().toISOString(), moves };
};
