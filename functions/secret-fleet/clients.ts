import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The AWS clients of the fleet steps, built once per container and injectable for tests and local runs. */
export interface FleetClients {
  readonly secrets: SecretsManagerClient;
  readonly events: EventBridgeClient;
  /** Current time; injectable so tests (and the local endpoint's movable clock) decide what is due. */
  now(): Date;
}

export interface FleetClientConfig {
  region: string;
  /** An AWS-compatible endpoint (the local endpoint); unset for AWS itself. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  now?: () => Date;
}

/**
 * Builds the clients. Adaptive retry mode makes the SDK slow its own request rate when Secrets
 * Manager throttles, before the state machine's Retry has to step in.
 */
export const createClients = (config: FleetClientConfig): FleetClients => {
  const common = {
    region: config.region,
    maxAttempts: 5,
    retryMode: 'adaptive',
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  };
  return {
    secrets: new SecretsManagerClient(common),
    events: new EventBridgeClient(common),
    now: config.now ?? (() => new Date()),
  };
};

/**
 * The clients of the Lambda container, created once at module scope. The SDK reads `AWS_REGION`
 * (set by Lambda) and `AWS_ENDPOINT_URL` (set for the local endpoint) itself.
 */
export const defaultClients: FleetClients = createClients({
  region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
});
