/**
 * AWS clients of the certificate-expiry functions: one per service and Region, created on first
 * use and kept for the life of the container. Domain functions receive a {@link Clients} so the
 * tests, the CLI and the local runner can give their own (endpoint URL, credentials).
 */
import { ACMClient } from '@aws-sdk/client-acm';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type AwsCredentials, awsClient, clientsPerRegion, resolveRegion } from '../lib/aws.js';

export interface Clients {
  /** ACM in `region`; the sweep wraps its calls in {@link withBackoff} (see createClients). */
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
  credentials?: AwsCredentials;
  /** Home Region; default {@link resolveRegion} (`AWS_REGION`, `AWS_DEFAULT_REGION`, us-east-1). */
  homeRegion?: string;
}

/**
 * Builds a {@link Clients} over the one factory (functions/lib/aws.ts): each client is created
 * once, with the one retry policy. {@link withBackoff} wraps the ACM calls on top of it: ACM's
 * DescribeCertificate quota (10/s per account and Region, shared) needs a longer horizon than
 * one call's retries, so the sweep waits whole rounds out instead of failing a Region.
 */
export const createClients = (options: ClientOptions = {}): Clients => {
  const homeRegion = options.homeRegion || resolveRegion();
  const overrides = {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  return {
    homeRegion,
    acm: clientsPerRegion(ACMClient, overrides),
    events: () => awsClient(EventBridgeClient, { ...overrides, region: homeRegion }),
    secrets: clientsPerRegion(SecretsManagerClient, overrides),
  };
};

let defaults: Clients | undefined;

/** The container's clients, from the standard AWS configuration (`AWS_ENDPOINT_URL` is honoured by the SDK itself). */
export const defaultClients = (): Clients => {
  defaults ??= createClients();
  return defaults;
};
