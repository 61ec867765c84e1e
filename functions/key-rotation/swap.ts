import { UpdateAliasCommand } from '@aws-sdk/client-kms';
import { logger } from '../lib/logger.js';
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
  logger.info('Moved alias', { alias, region, from: fromKeyId, to: toKeyId });
  return { region, from: fromKeyId, to: toKeyId, changed: true };
};

/** Step 4, Swap Alias: UpdateAlias to the successor in every Region where the alias pointed at the old key. */
export const swapAlias = async (
  clients: KeyRotationClients,
  plan: KeyPlan,
  successor: SuccessorKey,
): Promise<{ swappedAt: string; moves: AliasMove[] }> => {
  const moves: AliasMove[] = [];
  for (const region of plan.aliasRegions) {
    moves.push(await moveAlias(clients, region, plan.alias, plan.keyId, successor.keyId));
  }
  return { swappedAt: clients.now().toISOString(), moves };
};
