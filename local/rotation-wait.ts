/**
 * Waiting for a rotation the way a caller must on AWS, where RotateSecret answers before the
 * rotation function's steps run. Used by the tests, the benchmarks and the demo scripts.
 */
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type RotationLogEntry, readRotationLog } from './core/admin-client.js';

export interface RotationOutcome {
  status: 'succeeded' | 'failed';
  /** The failed step, when the local rotation log names one. */
  failure?: RotationLogEntry;
}

/** Where the local endpoint's rotation log is read, when the test runs against `rekey local`. */
export interface LocalRotationLog {
  endpointUrl: string;
  region: string;
  account: string;
}

/**
 * Waits for a rotation started by RotateSecret, as a caller must on AWS, where RotateSecret
 * answers before the steps run. Against AWS the only signal is DescribeSecret: the version
 * `token` carries AWSCURRENT when the rotation succeeded. Against `rekey local` (`local` given)
 * the rotation log also says when the steps stopped and which one failed, so a failure is seen
 * at once instead of at the deadline. Throws when `timeoutMs` passes first.
 *
 * `token` is RotateSecret's VersionId; without it (RotateImmediately false) only the local log
 * can tell when the test of the configuration ended.
 */
export const waitForRotation = async (options: {
  sm: SecretsManagerClient;
  secretId: string;
  token?: string;
  local?: LocalRotationLog;
  timeoutMs?: number;
  intervalMs?: number;
}): Promise<RotationOutcome> => {
  const { sm, secretId, token, local } = options;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const interval = options.intervalMs ?? 25;
  for (;;) {
    const current =
      token !== undefined &&
      ((await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages?.[
        token
      ]?.includes('AWSCURRENT') ??
        false);
    if (local) {
      const log = await readRotationLog(local, secretId);
      if (!log.inProgress) {
        if (current) return { status: 'succeeded' };
        // The latest attempt with this token starts at its last createSecret (a retried rotation
        // reuses its token); without a token, the configuration test is the last entry.
        const mine = log.entries.filter((e) => token === undefined || e.clientRequestToken === token);
        const start =
          token === undefined ? mine.length - 1 : mine.map((e) => e.step).lastIndexOf('createSecret');
        const failure = mine.slice(Math.max(start, 0)).find((e) => e.outcome === 'failed');
        if (failure) return { status: 'failed', failure };
        if (token === undefined) return { status: 'succeeded' };
      }
    } else if (current) {
      return { status: 'succeeded' };
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The rotation of ${secretId}${token ? ` (version ${token})` : ''} did not finish within ${options.timeoutMs ?? 60_000} ms.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
};

/** Waits as `waitForRotation` does and throws, naming the failed step, when the rotation failed. */
export const rotationSucceeded = async (options: Parameters<typeof waitForRotation>[0]): Promise<void> => {
  const outcome = await waitForRotation(options);
  if (outcome.status === 'failed') {
    const step = outcome.failure
      ? ` in ${outcome.failure.step} (${outcome.failure.errorType ?? 'Error'})`
      : '';
    throw new Error(`The rotation of ${options.secretId} failed${step}.`);
  }
};
