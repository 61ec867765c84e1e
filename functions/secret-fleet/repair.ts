import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  InvalidParameterException,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { AWSPENDING, foreignPending, pendingHasValue } from './assess.js';
import type { FleetClients } from './clients.js';
import { RotationInProgressError, SecretNotFoundError, throttleAware } from './errors.js';
import type { Candidate } from './types.js';

/**
 * Repairs of stuck rotations, and why each is safe.
 *
 * SAFE, done here: **remove AWSPENDING from a version that holds no value.** RotateSecret
 * creates that version as an empty placeholder; only createSecret gives it a value. A version
 * without a value was never generated, so it cannot have been applied to a database or handed
 * to anyone: dropping its label loses nothing. The version itself is not deleted (Secrets
 * Manager has no call for that; unlabelled versions age out on their own). The check and the
 * removal are not atomic, but the window is closed from both sides: the secret was assessed
 * quiet for `stuckAfterSeconds` (no rotation running), the value is probed again right before
 * the removal, and if a late createSecret did store a value in between, the rotation's next
 * step (setSecret) refuses to apply it because its token no longer carries AWSPENDING.
 *
 * NOT DONE, by design:
 * - Removing AWSPENDING from a version that holds a value. createSecret succeeded, so setSecret
 *   may already have applied the value to the target (a database password changed to it); it
 *   may be the only credential that works. The fleet *resumes* that rotation instead (RotateSecret
 *   with the pending version id as ClientRequestToken, which is what Secrets Manager itself does
 *   when it reattempts): the rotator keeps the stored value and carries it through.
 * - Deleting or overwriting any version, or moving AWSCURRENT: never.
 * - Touching AWSPENDING when it moved to another version since the assessment: another rotation
 *   started; it is left alone (RotationInProgressError).
 */

/** What the repair found and did. */
export interface RepairResult {
  /** `cleared`: the valueless AWSPENDING was removed; `resume`: finish the pending rotation instead; `none`: nothing left to repair. */
  action: 'cleared' | 'resume' | 'none';
  versionId?: string;
  /** ClientRequestToken for the rotation that follows, when it must resume the pending version. */
  resumeToken?: string;
  reason: string;
}

/** The decision, apart from the calls: unit-tested on its own. */
export const decideRepair = (input: {
  /** The pending version the assessment saw. */
  assessedVersionId: string;
  /** The version AWSPENDING sits on now (not AWSCURRENT), if any. */
  pendingNow: string | undefined;
  /** Whether `pendingNow` holds a value (undefined when not probed). */
  hasValue: boolean | undefined;
}): RepairResult | 'busy' => {
  const { assessedVersionId, pendingNow, hasValue } = input;
  if (pendingNow === undefined) {
    return { action: 'none', reason: 'AWSPENDING is no longer left on a non-current version.' };
  }
  if (pendingNow !== assessedVersionId) return 'busy';
  if (hasValue !== false) {
    // Unknown counts as "has a value": only a known-empty placeholder may be cleared.
    return {
      action: 'resume',
      versionId: pendingNow,
      resumeToken: pendingNow,
      reason: `Version ${pendingNow} now holds a value; resuming its rotation instead of clearing it.`,
    };
  }
  return {
    action: 'cleared',
    versionId: pendingNow,
    reason: `Removed AWSPENDING from version ${pendingNow}, which held no value.`,
  };
};

const describe = async (clients: FleetClients, arn: string): Promise<DescribeSecretCommandOutput> => {
  try {
    return await throttleAware('DescribeSecret', () =>
      clients.secrets.send(new DescribeSecretCommand({ SecretId: arn })),
    );
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new SecretNotFoundError(`Secret ${arn} no longer exists.`, { cause: error });
    }
    throw error;
  }
};

/**
 * Repairs a `stuck` candidate (see the module comment for what is safe). Safe to run twice:
 * a second run finds the label gone and answers `none`.
 */
export const repairStuckSecret = async (
  clients: FleetClients,
  candidate: Candidate,
): Promise<RepairResult> => {
  if (candidate.action !== 'clear-then-rotate' || !candidate.pendingVersionId) {
    return { action: 'none', reason: `Nothing to repair for a ${candidate.classification} secret.` };
  }
  const described = await describe(clients, candidate.arn);
  const pendingNow = foreignPending(described.VersionIdsToStages ?? {});
  const hasValue =
    pendingNow === candidate.pendingVersionId
      ? await pendingHasValue(clients, candidate.arn, pendingNow)
      : undefined;
  const decision = decideRepair({ assessedVersionId: candidate.pendingVersionId, pendingNow, hasValue });
  if (decision === 'busy') {
    throw new RotationInProgressError(
      `AWSPENDING moved from version ${candidate.pendingVersionId} to ${pendingNow} since the assessment: another rotation started; left alone.`,
    );
  }
  if (decision.action !== 'cleared' || !decision.versionId) return decision;
  const versionId = decision.versionId;
  try {
    await throttleAware('UpdateSecretVersionStage', () =>
      clients.secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: candidate.arn,
          VersionStage: AWSPENDING,
          RemoveFromVersionId: versionId,
        }),
      ),
    );
  } catch (error) {
    // The label left that version between our look and the call (someone else repaired it).
    if (error instanceof InvalidParameterException) {
      return { action: 'none', reason: `AWSPENDING had already left version ${versionId}.` };
    }
    throw error;
  }
  return decision;
};
