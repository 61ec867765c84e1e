import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
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

/** Builds a set of clients; `endpoint` and `credentials` point them at the local endpoint. */
export const createClients = (config: ClientConfig): KeyRotationClients => {
  const common = {
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  };
  const kmsByRegion = new Map<string, KMSClient>();
  return {
    region: config.region,
    kms: (region) => {
      let client = kmsByRegion.get(region);
      if (!client) {
        client = new KMSClient({ ...common, region });
        kmsByRegion.set(region, client);
      }
      return client;
    },
    events: new EventBridgeClient({ ...common, region: config.region }),
    secrets: new SecretsManagerClient({ ...common, region: config.region }),
    sfn: new SFNClient({ ...common, region: config.region }),
    now: config.now ?? (() => new Date()),
    access: config.access ?? { retiringAliasPrefix: DEFAULT_RETIRING_ALIAS_PREFIX },
  };
};

/**
 * The clients of the Lambda container, created once at module scope. The SDK reads
 * `AWS_REGION` (set by Lambda) and `AWS_ENDPOINT_URL` (set for the local endpoint) itself.
 */
export const defaultClients: KeyRotationClients = createClients({
  region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
  access: keyAccessFromEnv(),
});
