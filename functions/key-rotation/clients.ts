import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { awsClient, clientsPerRegion, resolveRegion } from '../lib/aws.js';
import { DEFAULT_RETIRING_ALIAS_PREFIX, type KeyAccess, keyAccessFromEnv } from './access.js';

/**
 * The AWS clients of the key-rotation steps. KMS clients are per Region because a multi-Region
 * key's replicas live (and are swapped, verified and retired) in their own Regions.
 */
export interface KeyRotationClients {
  /** The Region the workflow runs in: where the alias is resolved and the primary key lives. */
  readonly region: string;
  /** The KMS client of `region` (created once per Region, then reused). */
  kms(region: string): KMSClient;
  readonly events: EventBridgeClient;
  readonly secrets: SecretsManagerClient;
  /** Step Functions, for the key schedule that starts one execution per due key. */
  readonly sfn: SFNClient;
  /** Current time; injectable so tests can decide when a key is due or an import overdue. */
  now(): Date;
  /** Where the role's rights on successors and retiring keys come from (see access.ts). */
  readonly access: KeyAccess;
}

export interface ClientConfig {
  region: string;
  /** An AWS-compatible endpoint (the local endpoint); unset for AWS itself. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  now?: () => Date;
  access?: KeyAccess;
}

/**
 * Builds a set of clients from the one factory (functions/lib/aws.ts); `endpoint` and
 * `credentials` point them at the local endpoint.
 */
export const createClients = (config: ClientConfig): KeyRotationClients => {
  const overrides = {
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  };
  const home = { ...overrides, region: config.region };
  return {
    region: config.region,
    kms: clientsPerRegion(KMSClient, overrides),
    events: awsClient(EventBridgeClient, home),
    secrets: awsClient(SecretsManagerClient, home),
    sfn: awsClient(SFNClient, home),
    now: config.now ?? (() => new Date()),
    access: config.access ?? { retiringAliasPrefix: DEFAULT_RETIRING_ALIAS_PREFIX },
  };
};

/**
 * The clients of the Lambda container, created once at module scope: the standard AWS
 * configuration (`AWS_REGION` set by Lambda, `AWS_ENDPOINT_URL` for the local endpoint).
 */
export const defaultClients: KeyRotationClients = createClients({
  region: resolveRegion(),
  access: keyAccessFromEnv(),
});
