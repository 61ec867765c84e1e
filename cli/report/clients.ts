import { ACMClient } from '@aws-sdk/client-acm';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_ACCOUNT_ID } from '../../local/server.js';
import { parseEndpoint } from '../args.js';
import { UsageError } from '../errors.js';

/** The clients `rekey status` and `rekey doctor` read with, one set per Region, created on first use. */
export interface ReportClients {
  secrets(region: string): SecretsManagerClient;
  kms(region: string): KMSClient;
  acm(region: string): ACMClient;
  lambda(region: string): LambdaClient;
  /** IAM (a global service: the Region only picks the endpoint the SDK signs for). */
  iam(region: string): IAMClient;
  /** The rotation functions' logs, where a failed rotation's cause is read. */
  logs(region: string): CloudWatchLogsClient;
  /** The account a local endpoint serves these clients (from a 12-digit access key id). */
  readonly accountId?: string;
  /** The endpoint every client talks to, when not AWS itself. */
  readonly endpoint: string | undefined;
  /** The time the report is made at. */
  now(): Date;
}

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/**
 * Builds the clients. With an endpoint and no credentials in `env`, local ones are used (the
 * local endpoint accepts any signature; a 12-digit access key id selects the account). With
 * credentials in `env`, they are passed explicitly so a caller's `env` (not only
 * `process.env`) decides; without either, the SDK's default credential chain applies.
 */
export const createReportClients = (options: {
  endpoint?: string;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
}): ReportClients => {
  const { endpoint, env } = options;
  let credentials: Credentials | undefined;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  } else if (endpoint && !env.AWS_PROFILE) {
    // With a profile (--profile or AWS_PROFILE) its credentials decide the account, as with AWS.
    credentials = { accessKeyId: DEFAULT_ACCOUNT_ID, secretAccessKey: 'local' };
  }
  const common = {
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
  const perRegion = <C>(make: (region: string) => C) => {
    const cache = new Map<string, C>();
    return (region: string): C => {
      let client = cache.get(region);
      if (!client) {
        client = make(region);
        cache.set(region, client);
      }
      return client;
    };
  };
  const accountId =
    credentials && /^\d{12}$/.test(credentials.accessKeyId) ? credentials.accessKeyId : undefined;
  return {
    endpoint,
    ...(accountId ? { accountId } : {}),
    secrets: perRegion((region) => new SecretsManagerClient({ ...common, region, maxAttempts: 5 })),
    kms: perRegion((region) => new KMSClient({ ...common, region, maxAttempts: 5 })),
    // One attempt: certificate-expiry's withBackoff is the retry policy for ACM.
    acm: perRegion((region) => new ACMClient({ ...common, region, maxAttempts: 1 })),
    lambda: perRegion((region) => new LambdaClient({ ...common, region, maxAttempts: 2 })),
    logs: perRegion((region) => new CloudWatchLogsClient({ ...common, region, maxAttempts: 3 })),
    iam: perRegion((region) => new IAMClient({ ...common, region, maxAttempts: 5 })),
    now: options.now ?? (() => new Date()),
  };
};

/**
 * The clients for `--endpoint-url` (checked), else AWS_ENDPOINT_URL, else AWS itself, with
 * credentials as {@link createReportClients} decides.
 */
export const reportClientsFor = (endpointUrl: string | undefined, env: NodeJS.ProcessEnv): ReportClients => {
  const endpointText = endpointUrl ?? (env.AWS_ENDPOINT_URL || undefined);
  return createReportClients({
    ...(endpointText ? { endpoint: parseEndpoint(endpointText) } : {}),
    env,
  });
};

/** The Regions to report on: the `--region` values (deduplicated), else AWS_REGION, else us-east-1. */
export const resolveRegions = (values: string[] | undefined, env: NodeJS.ProcessEnv): string[] => {
  const regions = values?.length ? values : [env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'];
  for (const region of regions) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
      throw new UsageError(`--region must be a Region name such as eu-west-1; got '${region}'.`);
    }
  }
  return [...new Set(regions)];
};
