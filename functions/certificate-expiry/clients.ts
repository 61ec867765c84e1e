/**
 * AWS clients of the certificate-expiry functions: one per service and Region, created on first
 * use and kept for the life of the container. Domain functions receive a {@link Clients} so the
 * tests, the CLI and the local runner can give their own (endpoint URL, credentials).
 */
import { ACMClient, type ACMClientConfig } from '@aws-sdk/client-acm';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface Clients {
  /** ACM in `region`. SDK retries are off: {@link withBackoff} is the one retry policy for ACM. */
  acm(region: string): ACMClient;
  /** EventBridge in the home Region, where the project's bus lives. */
  events(): EventBridgeClient;
  /** Secrets Manager in `region` (the Region of the source secret's ARN). */
  secrets(region: string): SecretsManagerClient;
  /** The Region the function (or CLI) runs in. */
  readonly homeRegion: string;
}

export interface ClientOptions {
  /** Endpoint URL for every client (the local endpoint); AWS when unset. */
  endpoint?: string;
  credentials?: ACMClientConfig['credentials'];
  /** Home Region; defaults to `AWS_REGION`, then us-east-1. */
  homeRegion?: string;
}

/**
 * Builds a {@link Clients} that creates each client once. ACM clients get `maxAttempts: 1` so a
 * ThrottlingException reaches our backoff (with jitter and a longer horizon) instead of being
 * retried twice over, once by the SDK and once by us.
 */
export const createClients = (options: ClientOptions = {}): Clients => {
  const homeRegion = options.homeRegion ?? process.env.AWS_REGION ?? 'us-east-1';
  const common = {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const acm = new Map<string, ACMClient>();
  const secrets = new Map<string, SecretsManagerClient>();
  let events: EventBridgeClient | undefined;
  return {
    homeRegion,
    acm(region) {
      let client = acm.get(region);
      if (!client) {
        client = new ACMClient({ ...common, region, maxAttempts: 1 });
        acm.set(region, client);
      }
      return client;
    },
    events() {
      events ??= new EventBridgeClient({ ...common, region: homeRegion });
      return events;
    },
    secrets(region) {
      let client = secrets.get(region);
      if (!client) {
        client = new SecretsManagerClient({ ...common, region });
        secrets.set(region, client);
      }
      return client;
    },
  };
};

let defaults: Clients | undefined;

/** The container's clients, from the environment (`AWS_ENDPOINT_URL` is honoured by the SDK itself). */
export const defaultClients = (): Clients => {
  defaults ??= createClients();
  return defaults;
};
