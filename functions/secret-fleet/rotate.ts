import { createHash } from 'node:crypto';
import {
  DescribeSecretCommand,
  InvalidRequestException,
  ResourceNotFoundException,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { AWSCURRENT, foreignPending } from './assess.js';
import type { FleetClients } from './clients.js';
import { RotationInProgressError, RotationStartError, SecretNotFoundError, throttleAware } from './errors.js';
import type { RepairResult } from './repair.js';
import type { Candidate } from './types.js';

/** What the watch needs to follow the rotation. */
export interface RotationStarted {
  /** The ClientRequestToken, which is also the new version's id. */
  token: string;
  startedAt: string;
  /** The token was already AWSCURRENT: an earlier attempt of this step finished the rotation. */
  alreadyFinished: boolean;
  /** The rotation resumed a pending version instead of starting a new one. */
  resumed: boolean;
}

/**
 * The ClientRequestToken of the rotation one execution starts for one secret: derived from
 * both, so a retried Rotate step sends the same token, and Secrets Manager treats it as the
 * same rotation instead of starting (or refusing) a second one. Formatted as a UUID (36
 * characters; RotateSecret takes 32 to 64).
 */
export const rotationToken = (executionId: string, secretArn: string): string => {
  const hex = createHash('sha256').update(`${executionId}\n${secretArn}`).digest('hex');
  // Version 8 (custom) UUID layout with the RFC 9562 variant bits.
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** The token to rotate with: the pending version's id when resuming, else the derived one. */
export const tokenFor = (
  candidate: Candidate,
  repair: RepairResult | undefined,
  executionId: string,
): string =>
  repair?.resumeToken ??
  (candidate.action === 'resume' && candidate.pendingVersionId
    ? candidate.pendingVersionId
    : rotationToken(executionId, candidate.arn));

/**
 * Starts (or resumes) the rotation with RotateSecret, keeping the secret's own rotation function
 * and schedule. Safe to run twice: a token already AWSCURRENT is reported as finished without a
 * call, and RotateSecret with a token already pending is Secrets Manager's own retry.
 */
export const startRotation = async (
  clients: FleetClients,
  candidate: Candidate,
  repair: RepairResult | undefined,
  executionId: string,
): Promise<RotationStarted> => {
  const token = tokenFor(candidate, repair, executionId);
  const resumed = token === candidate.pendingVersionId;
  const startedAt = clients.now().toISOString();
  let stages: Record<string, string[]>;
  try {
    const described = await throttleAware('DescribeSecret', () =>
      clients.secrets.send(new DescribeSecretCommand({ SecretId: candidate.arn })),
    );
    stages = described.VersionIdsToStages ?? {};
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new SecretNotFoundError(`Secret ${candidate.name} no longer exists.`, { cause: error });
    }
    throw error;
  }
  if (stages[token]?.includes(AWSCURRENT)) return { token, startedAt, alreadyFinished: true, resumed };
  const pending = foreignPending(stages);
  if (pending && pending !== token) {
    throw new RotationInProgressError(
      `AWSPENDING is on version ${pending}, not ${token}: another rotation of ${candidate.name} is running or was left behind after the assessment.`,
    );
  }
  try {
    await throttleAware('RotateSecret', () =>
      clients.secrets.send(new RotateSecretCommand({ SecretId: candidate.arn, ClientRequestToken: token })),
    );
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new SecretNotFoundError(`Secret ${candidate.name} no longer exists.`, { cause: error });
    }
    if (error instanceof InvalidRequestException && /previous rotation/i.test(error.message)) {
      throw new RotationInProgressError(
        `Secrets Manager refused to start: a previous rotation of ${candidate.name} is not complete.`,
        { cause: error },
      );
    }
    if (error instanceof Error && error.name !== 'ThrottledError') {
      throw new RotationStartError(
        `RotateSecret refused ${candidate.name}: ${error.name}: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  return { token, startedAt, alreadyFinished: false, resumed };
};
