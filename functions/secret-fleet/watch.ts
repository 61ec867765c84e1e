import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { AWSCURRENT, AWSPENDING, foreignPending } from './assess.js';
import type { FleetClients } from './clients.js';
import { SecretNotFoundError, throttleAware } from './errors.js';
import type { FleetOptions } from './types.js';

/** The watch's state between checks (carried by the state machine at `$.watch`). */
export interface WatchState {
  status: 'in-progress' | 'finished' | 'failed';
  checks: number;
  /** Where the rotation is, from the labels and LastChangedDate. */
  phase?: RotationPhase;
  /** The secret's LastChangedDate at the last check. */
  lastChangedDate?: string;
  /** When progress was last seen, by the caller's clock (the start, or a check that saw LastChangedDate change). */
  progressAt?: string;
  /** Why it failed, for people. */
  reason?: string;
}

/**
 * What DescribeSecret shows of a rotation: `pending` (the token carries AWSPENDING: the function
 * is running its steps, or has failed), `finished` (the token is AWSCURRENT), `abandoned` (the
 * token lost AWSPENDING without becoming current). DescribeSecret cannot tell which step runs:
 * RotateSecret and createSecret both change LastChangedDate.
 */
export type RotationPhase = 'pending' | 'finished' | 'abandoned';

const ms = (iso: string): number => Date.parse(iso);

/**
 * One check of a rotation: finished when its token became AWSCURRENT; failed when the token
 * lost AWSPENDING, when nothing changed for `stallTimeoutSeconds`, or after `maxWaitSeconds`.
 * Secrets Manager reports no failure directly; a failed rotation just stops changing the secret.
 */
export const checkRotation = async (
  clients: FleetClients,
  input: {
    arn: string;
    token: string;
    startedAt: string;
    previous?: Partial<WatchState>;
    options: Pick<FleetOptions, 'stallTimeoutSeconds' | 'maxWaitSeconds'>;
  },
): Promise<WatchState> => {
  const { arn, token, startedAt, previous = {}, options } = input;
  let described: DescribeSecretCommandOutput;
  try {
    described = await throttleAware('DescribeSecret', () =>
      clients.secrets.send(new DescribeSecretCommand({ SecretId: arn })),
    );
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new SecretNotFoundError(`Secret ${arn} was deleted during its rotation.`, { cause: error });
    }
    throw error;
  }
  const checks = (previous.checks ?? 0) + 1;
  const stages = described.VersionIdsToStages ?? {};
  const labels = stages[token] ?? [];
  const lastChangedDate = described.LastChangedDate?.toISOString();
  const now = clients.now();
  const base = { checks, ...(lastChangedDate ? { lastChangedDate } : {}) };
  if (labels.includes(AWSCURRENT)) return { ...base, status: 'finished', phase: 'finished' };
  if (!labels.includes(AWSPENDING)) {
    const other = foreignPending(stages);
    return {
      ...base,
      status: 'failed',
      phase: 'abandoned',
      reason: other
        ? `Version ${token} lost AWSPENDING to version ${other}: another rotation replaced this one.`
        : `Version ${token} lost AWSPENDING without becoming AWSCURRENT: the rotation was abandoned.`,
    };
  }
  // Progress is a change of LastChangedDate between two checks, timed by this clock only, so
  // clock skew between the caller and Secrets Manager cannot make a rotation look stalled or alive.
  const changed = previous.lastChangedDate !== undefined && previous.lastChangedDate !== lastChangedDate;
  const progressAt = changed ? now.toISOString() : (previous.progressAt ?? startedAt);
  const phase: RotationPhase = 'pending';
  const quietSeconds = (now.getTime() - ms(progressAt)) / 1000;
  const runningSeconds = (now.getTime() - ms(startedAt)) / 1000;
  if (quietSeconds >= options.stallTimeoutSeconds) {
    return {
      ...base,
      status: 'failed',
      phase,
      progressAt,
      reason: `AWSPENDING is still on version ${token} and the secret has not changed for ${Math.round(quietSeconds)} s: the rotation function failed. Its log says why; 'rekey doctor' shows the fix.`,
    };
  }
  if (runningSeconds >= options.maxWaitSeconds) {
    return {
      ...base,
      status: 'failed',
      phase,
      progressAt,
      reason: `The rotation to version ${token} has not finished after ${Math.round(runningSeconds)} s.`,
    };
  }
  return { ...base, status: 'in-progress', phase, progressAt };
};
