/**
 * The one place AWS SDK clients are built, for the functions and the CLI.
 *
 * - **Configuration**: endpoint and credentials come from the standard AWS configuration, which
 *   the SDK reads itself (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_PROFILE`, the
 *   Lambda role's variables, ...). Pass `endpoint`/`credentials` only to override it (tests, the
 *   local endpoint, a key being tested).
 * - **Region**: {@link resolveRegion} when the caller names none.
 * - **Retries**: one policy for every client, {@link RETRY_POLICY}.
 * - **Caching**: one client per class, Region, endpoint and credentials, created on first use and
 *   kept for the life of the container (a client holds its connection pool and its retry quota).
 *   A client has read the standard configuration when it was built, so a change of it (the CLI's
 *   tests switch accounts through AWS_ACCESS_KEY_ID; a profile switch) builds a new one.
 *
 * Tree-shakeable: this module imports no SDK client. Each caller passes the class it needs, so a
 * function's bundle holds only the clients that function uses.
 */
import { createHash } from 'node:crypto';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** The Region used when neither `AWS_REGION` nor `AWS_DEFAULT_REGION` names one (the SDKs' own usual default). */
export const DEFAULT_REGION = 'us-east-1';

/**
 * The Region of the standard configuration: `AWS_REGION` (set by Lambda), else
 * `AWS_DEFAULT_REGION` (the AWS CLI's variable), else {@link DEFAULT_REGION}. An empty or blank
 * variable counts as unset, so `AWS_REGION=` in a shell does not become an empty Region.
 */
export const resolveRegion = (env: NodeJS.ProcessEnv = process.env): string =>
  nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? DEFAULT_REGION;

const nonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

/**
 * The retry policy of every client: the SDK's `standard` mode (exponential backoff with full
 * jitter, a 1 s base for throttling and 50 ms for transient errors, and a per-client retry quota
 * that stops retrying when most calls fail, so a throttled account is not hammered) with 5
 * attempts in all.
 *
 * Why 5 and not the SDK's default 3: our writes share account-wide quotas with everything else
 * (Secrets Manager's 50 writes/s, ACM's 10 DescribeCertificate/s, KMS's shared request quota),
 * and a throttled write must be waited out, not turn into a failed rotation step. Four throttling
 * retries wait up to 1 + 2 + 4 + 8 = 15 s (about 7.5 s on average with jitter), which rides out a
 * busy second or two and stays far inside the shortest function timeout (60 s). Beyond that the
 * caller's own, longer-horizon retry takes over: the state machines' `Retry` on `ThrottledError`
 * and Lambda errors, and {@link ./retry.ts withBackoff} in the certificate sweep. Those wrap
 * whole SDK calls (each attempt of theirs is one call with this policy); they need no second SDK
 * policy.
 *
 * Adaptive mode is not used: the AWS SDKs reference guide recommends it only for specialised
 * cases, its client-side rate limiter is per client (not per account) and delays calls that would
 * have succeeded; the fleet state machine already paces its work below the write quota.
 */
export const RETRY_POLICY = { retryMode: 'standard', maxAttempts: 5 } as const;

export type AwsCredentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/** Explicit overrides of the standard configuration; leave a field unset to use it. */
export interface AwsClientOptions {
  /** Default: {@link resolveRegion}. */
  readonly region?: string;
  /** An AWS-compatible endpoint URL (the local endpoint); default: the SDK's (AWS, or `AWS_ENDPOINT_URL`). */
  readonly endpoint?: string;
  /** Default: the SDK's credential chain (environment, profile, Lambda role, ...). */
  readonly credentials?: AwsCredentials;
}

/** The configuration the factory passes to a client constructor. */
export interface AwsClientConfig {
  region: string;
  retryMode: 'standard';
  maxAttempts: number;
  endpoint?: string;
  credentials?: AwsCredentials;
}

/** Any SDK v3 client class (`SecretsManagerClient`, `KMSClient`, ...). */
// biome-ignore lint/suspicious/noExplicitAny: each client's config type differs; the factory only sets the common fields.
export type AwsClientClass<C> = new (config: any) => C;

/** Variables of the standard configuration a client reads once: credentials, profile, endpoint. */
const CONFIGURATION_VARIABLES = [
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
];

/**
 * A digest of the standard configuration in the environment (never the values themselves: a
 * secret key must not sit in a cache key), including every `AWS_ENDPOINT_URL*` variable.
 */
const configurationFingerprint = (env: NodeJS.ProcessEnv = process.env): string => {
  const names = [
    ...CONFIGURATION_VARIABLES,
    ...Object.keys(env)
      .filter((n) => n.startsWith('AWS_ENDPOINT_URL'))
      .sort(),
  ];
  const hash = createHash('sha256');
  for (const name of names) hash.update(`${name}=${env[name] ?? ''}\n`);
  return hash.digest('base64url');
};

/** Clients built without explicit credentials are cached under this key. */
const STANDARD_CREDENTIALS = {};
const cache = new WeakMap<object, WeakMap<AwsClientClass<unknown>, Map<string, unknown>>>();

/**
 * The client of `Client` for these overrides: built on first use, then the same instance. Clients
 * built with explicit credentials are cached with those credentials (as object identity), so a
 * client for a key that is no longer referenced can be collected with it.
 */
export const awsClient = <C>(Client: AwsClientClass<C>, options: AwsClientOptions = {}): C => {
  const region = options.region || resolveRegion();
  const credentialsKey = options.credentials ?? STANDARD_CREDENTIALS;
  let byClass = cache.get(credentialsKey);
  if (!byClass) {
    byClass = new WeakMap();
    cache.set(credentialsKey, byClass);
  }
  let clients = byClass.get(Client);
  if (!clients) {
    clients = new Map();
    byClass.set(Client, clients);
  }
  const key = `${region}\n${options.endpoint ?? ''}\n${configurationFingerprint()}`;
  let client = clients.get(key) as C | undefined;
  if (!client) {
    const config: AwsClientConfig = {
      region,
      ...RETRY_POLICY,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    client = new Client(config);
    clients.set(key, client);
  }
  return client;
};

/** A Region → client look-up for one service with the same overrides (multi-Region sweeps, KMS replicas). */
export const clientsPerRegion =
  <C>(Client: AwsClientClass<C>, options: Omit<AwsClientOptions, 'region'> = {}): ((region: string) => C) =>
  (region) =>
    awsClient(Client, { ...options, region });

/** The parts of an SDK client's resolved configuration {@link awsClientBeside} reads. */
interface SiblingConfig {
  region: () => Promise<string>;
  endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path: string }>;
  credentials: AwsCredentials;
}

/**
 * A client of another service that goes where `sibling` goes: its Region, its endpoint (when it
 * has an explicit one, such as the local endpoint in tests) and its credentials. Used by the
 * rotators, which receive the rotation function's Secrets Manager client and call IAM or STS
 * beside it. `credentials` overrides the sibling's (STS with the key being tested), `region` its
 * Region (a resource named by an ARN in another Region).
 */
export const awsClientBeside = async <C>(
  Client: AwsClientClass<C>,
  sibling: { readonly config: SiblingConfig },
  overrides: { readonly credentials?: AwsCredentials; readonly region?: string } = {},
): Promise<C> => {
  const { config } = sibling;
  const endpoint = config.endpoint ? endpointUrl(await config.endpoint()) : undefined;
  return awsClient(Client, {
    region: overrides.region ?? (await config.region()),
    ...(endpoint ? { endpoint } : {}),
    credentials: overrides.credentials ?? config.credentials,
  });
};

const endpointUrl = (endpoint: { protocol: string; hostname: string; port?: number; path: string }): string =>
  `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}${endpoint.path}`;
