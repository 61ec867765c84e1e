import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretValueCache } from '../../../functions/secret-rotation/cache.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { testLogger } from '../../unit/secret-rotation/helpers.js';

/** What a rotation test needs: the endpoint, a caller's client and the in-process function. */
export interface RotationEndpoint {
  readonly endpoint: TestEndpoint;
  /** Endpoint, Region and credentials (the account is the 12-digit access key id). */
  readonly clientConfig: TestEndpoint['clientConfig'];
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
  const endpoint = await startTestEndpoint({
    account,
    region,
    // The tests drive the steps by hand on secrets rotated by `rekey-it-crash`, which the deployed
    // role may not touch: the function signs as the account here (the role is enforced in
    // test/integration/iam and the database rotation suites).
    rotation: { logger: testLogger(), signAs: 'account' },
    functions: {
      'rekey-it-crash': async () => {
        throw new Error('simulated crash');
      },
    },
  });
  const { rotation } = endpoint;
  return {
    endpoint,
    clientConfig: endpoint.clientConfig,
    sm: new SecretsManagerClient(endpoint.clientConfig),
    functionClient: rotation.client,
    cache: rotation.cache,
    handler: rotation.handler,
  };
};
