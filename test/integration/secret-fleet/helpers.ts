/**
 * Shared set-up of the secret-fleet integration tests: a local endpoint of their own with the
 * real rotation function registered, a Secrets Manager client acting as the test's account, and
 * the staging-label look-ups both files assert with.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { logger as functionLogger } from '../../../functions/lib/logger.js';
import { createHandler as createRotationHandler } from '../../../functions/secret-rotation/handler.js';
import { type LocalEndpoint, startLocalEndpoint } from '../../../local/endpoint.js';
import { type QuotaProxy, startQuotaProxy } from './quota-proxy.js';

export interface FleetEndpoint {
  readonly endpoint: LocalEndpoint;
  /** Acts as `account` in `region`. */
  readonly sm: SecretsManagerClient;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** Where the fleet and the rotation function send their calls: the quota proxy when there is one. */
  readonly url: string;
  /** The write quota enforced in front of the endpoint (with `writeQuotaPerSecond`). */
  readonly quota?: QuotaProxy;
  close(): Promise<void>;
}

/**
 * Starts a local endpoint on a random port and registers the real rotation function (silent
 * logs) under `rotationFunction`. `beforeStep` runs before every step the endpoint invokes and
 * may throw to make that step fail, as a broken target would.
 */
export const startFleetEndpoint = async (options: {
  account: string;
  region: string;
  rotationFunction: string;
  beforeStep?: (event: { Step: string; SecretId: string }) => void;
  /** Enforce Secrets Manager's write quota (ThrottlingException over it) on the fleet and the rotation function. */
  writeQuotaPerSecond?: number;
}): Promise<FleetEndpoint> => {
  const { account, region } = options;
  functionLogger.setLogLevel('SILENT');
  const endpoint = await startLocalEndpoint({ port: 0 });
  const quota =
    options.writeQuotaPerSecond === undefined
      ? undefined
      : await startQuotaProxy(endpoint.url, options.writeQuotaPerSecond);
  const url = quota?.url ?? endpoint.url;
  const credentials = { accessKeyId: account, secretAccessKey: 'x' };
  const sm = new SecretsManagerClient({ endpoint: endpoint.url, region, credentials });
  const rotation = createRotationHandler({
    secretsManager: new SecretsManagerClient({ endpoint: url, region, credentials }),
    logger: new Logger({ serviceName: 'rekey-it', logLevel: 'SILENT' }),
    env: {},
  });
  endpoint.lambdas.register(options.rotationFunction, async (payload) => {
    options.beforeStep?.(payload as { Step: string; SecretId: string });
    await rotation(payload);
    return null;
  });
  return {
    endpoint,
    sm,
    credentials,
    url,
    ...(quota ? { quota } : {}),
    close: async () => {
      sm.destroy();
      await quota?.close();
      await endpoint.close();
    },
  };
};

/** Staging labels by version id. */
export const stagesOf = async (sm: SecretsManagerClient, arn: string): Promise<Record<string, string[]>> =>
  (await sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};

/** The version that carries `label`, if any. */
export const holder = (stages: Record<string, string[]>, label: string): string | undefined =>
  Object.entries(stages).find(([, labels]) => labels.includes(label))?.[0];
