import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretValueCache } from '../../../functions/secret-rotation/cache.js';
import { createHandler } from '../../../functions/secret-rotation/handler.js';
import { type LocalEndpoint, startLocalEndpoint } from '../../../local/endpoint.js';
import { testLogger } from '../../unit/secret-rotation/helpers.js';

/** What a rotation test needs: the endpoint, a caller's client and the in-process function. */
export interface RotationEndpoint {
  readonly endpoint: LocalEndpoint;
  /** Endpoint, Region and credentials (the account is the 12-digit access key id). */
  readonly clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  /** The test's own client, as a caller of Secrets Manager. */
  readonly sm: SecretsManagerClient;
  /** The rotation function's client: separate, so a call counter on it sees only the function. */
  readonly functionClient: SecretsManagerClient;
  /** The function's secret cache: clear it to make the next invocation a cold container. */
  readonly cache: SecretValueCache;
  /** The real rotation handler, for tests that invoke steps directly. */
  readonly handler: (event: unknown) => Promise<void>;
}

/**
 * Starts a local endpoint whose `rekey-secret-rotation` is the real handler over its own client,
 * and `rekey-it-crash` a function that dies before doing anything (RotateSecret still creates the
 * AWSPENDING placeholder, so a test can drive the steps itself).
 */
export const startRotationEndpoint = async (account: string, region: string): Promise<RotationEndpoint> => {
  const endpoint = await startLocalEndpoint({ port: 0, registerDefaultFunctions: false });
  const clientConfig = {
    endpoint: endpoint.url,
    region,
    credentials: { accessKeyId: account, secretAccessKey: 'x' },
  };
  const functionClient = new SecretsManagerClient(clientConfig);
  const cache = new SecretValueCache();
  const handler = createHandler({ secretsManager: functionClient, logger: testLogger(), env: {}, cache });
  endpoint.lambdas.register('rekey-secret-rotation', async (payload) => {
    await handler(payload);
    return null;
  });
  endpoint.lambdas.register('rekey-it-crash', async () => {
    throw new Error('simulated crash');
  });
  return {
    endpoint,
    clientConfig,
    sm: new SecretsManagerClient(clientConfig),
    functionClient,
    cache,
    handler,
  };
};
