/**
 * Where the endpoint semantics tests send their requests. By default a fresh `rekey local`
 * endpoint in this process. With `AWS_ENDPOINT_URL` set, the tests that need nothing but the
 * AWS API run against that endpoint instead (another emulator, or a real account with
 * `AWS_ENDPOINT_URL=https://secretsmanager.eu-west-1.amazonaws.com` and real credentials), so
 * anyone can check that what these tests assert is what AWS does.
 *
 * A test that needs this endpoint's admin routes, its clock or its in-process functions is
 * declared with `itLocal` and says why in its name's file; it is skipped only in that mode, so
 * in CI (no `AWS_ENDPOINT_URL`) every test runs.
 */
import { DeleteSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { it } from 'vitest';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';

/** The external endpoint under test, when one is given. */
export const externalUrl: string | undefined = process.env.AWS_ENDPOINT_URL || undefined;

/** A test that needs `rekey local` itself (admin routes, clock, in-process functions). */
export const itLocal = it.runIf(externalUrl === undefined);

export interface Target {
  url: string;
  region: string;
  /** The account the tests act as: known locally, `undefined` against an external endpoint. */
  account: string | undefined;
  /** SDK client configuration for the target. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  };
  /** The local endpoint, when the target is local. */
  local: TestEndpoint | undefined;
  close(): Promise<void>;
}

/** Opens the target: the external endpoint, or a new local one acting as `account` in `region`. */
export const openTarget = async (region: string, account: string): Promise<Target> => {
  if (externalUrl) {
    const externalRegion = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? region;
    return {
      url: externalUrl,
      region: externalRegion,
      account: undefined,
      // Credentials come from the SDK's default chain (environment, profile, ...).
      clientConfig: { endpoint: externalUrl, region: externalRegion },
      local: undefined,
      close: async () => undefined,
    };
  }
  const local = await startTestEndpoint();
  return {
    url: local.url,
    region,
    account,
    clientConfig: {
      endpoint: local.url,
      region,
      credentials: { accessKeyId: account, secretAccessKey: 'x' },
    },
    local,
    close: () => local.close(),
  };
};

/** Against an external endpoint (a real account), force-deletes the secrets a test file made. */
export const deleteExternalSecrets = async (
  target: Target | undefined,
  sm: SecretsManagerClient | undefined,
  arns: readonly string[],
): Promise<void> => {
  if (!target || target.local || !sm) return;
  for (const arn of arns) {
    await sm
      .send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }))
      .catch(() => undefined);
  }
};
