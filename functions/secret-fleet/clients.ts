import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClient, resolveRegion } from '../lib/aws.js';

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
 * Builds the clients from the one factory (functions/lib/aws.ts, its one retry policy). Throttling
 * the SDK's retries did not ride out becomes ThrottledError, which the state machine's Retry
 * waits out with backoff and jitter.
 */
export const createClients = (config: FleetClientConfig): FleetClients => {
  const options = {
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  };
  return {
    secrets: awsClient(SecretsManagerClient, options),
    events: awsClient(EventBridgeClient, options),
    now: config.now ?? (() => new Date()),
  };
};

/**
 * The clients of the Lambda container, created once at module scope: the standard AWS
 * configuration (`AWS_REGION` set by Lambda, `AWS_ENDPOINT_URL` for the local endpoint).
 */
export const defaultClients: FleetClients = createClients({ region: resolveRegion() });
