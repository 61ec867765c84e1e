/**
 * The one way tests start the local endpoint in-process. Every option a test may set on the
 * endpoint (account and Region its clients act as, quotas, state file, clock, in-process
 * functions, the real rotation function's wiring) is set here, so a change to how tests run the
 * endpoint (IAM enforcement, say) is made once.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretValueCache } from '../../functions/secret-rotation/cache.js';
import {
  createHandler as createRotationHandler,
  type HandlerDeps,
} from '../../functions/secret-rotation/handler.js';
import type { IamMode } from '../../local/core/iam/authorizer.js';
import { functionCredentials } from '../../local/core/iam/identities.js';
import { DEFAULT_ACCOUNT_ID } from '../../local/defaults.js';
import { type LocalEndpoint, type LocalEndpointOptions, startLocalEndpoint } from '../../local/endpoint.js';
import type { LambdaInvoker } from '../../local/types.js';

/** The secret-rotation function's logical id in template.yaml. */
const SECRET_ROTATION_LOGICAL_ID = 'SecretRotationFunction';

import { type TestAdminClient, testAdminClient } from './admin.js';

/** The Region tests act in unless they say otherwise. */
export const TEST_REGION = 'us-east-1';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What an SDK client needs to reach the endpoint as one account in one Region. */
export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: Credentials;
}

/** Something in front of the endpoint (a quota proxy, a fault injector) that clients call instead. */
export interface Front {
  readonly url: string;
  close(): Promise<void>;
}

/** The real secret-rotation handler, registered as an in-process function of the endpoint. */
export interface RotationWiring {
  /** The function name it is registered under. Default `rekey-secret-rotation`. */
  name?: string;
  /** Runs before every step the endpoint invokes; may throw to make that step fail, as a broken target would. */
  beforeStep?: (event: { Step: string; SecretId: string }) => void;
  /** Retries of the function's client (e.g. the deployed `RETRY_POLICY` of functions/lib/aws.ts). Default: the SDK's. */
  retry?: { retryMode?: 'standard'; maxAttempts: number };
  /** The function's logger. Default: a silent one. */
  logger?: Logger;
  /**
   * Whom the function's client signs as: `role` (default), the role template.yaml gives
   * rekey-secret-rotation, enforced by the endpoint; `account`, the account's root, for tests that
   * drive the steps by hand on secrets whose rotation function is another one (which the
   * deployed role may not touch: test/integration/iam proves that).
   */
  signAs?: 'role' | 'account';
  /** Other handler dependencies (password generator, rotator selection, environment). */
  deps?: Omit<HandlerDeps, 'secretsManager' | 'logger' | 'cache'>;
}

export interface TestEndpointOptions {
  /** The account the harness's client config acts as (a 12-digit access key id selects it). */
  account?: string;
  /** The Region of the harness's client config. Default us-east-1. */
  region?: string;
  /** Secret access key of the harness's credentials (any value works locally). Default `x`. */
  secretAccessKey?: string;
  /** Register the project's own functions in-process, as `rekey local` does. Default false. */
  defaultFunctions?: boolean;
  /** Further in-process functions by name. */
  functions?: Record<string, LambdaInvoker>;
  /** Register the real secret-rotation handler over its own client (`true`: with the defaults). */
  rotation?: RotationWiring | true;
  /** Starts something in front of the endpoint; the rotation function's client calls it instead. */
  front?: (endpointUrl: string) => Promise<Front>;
  /** Moves the endpoint's clock by this many milliseconds before the test runs. */
  clockOffsetMs?: number;
  /** Persisted state (see local/state.ts). */
  stateFile?: string;
  quotas?: boolean;
  syncRotation?: boolean;
  port?: number;
  host?: string;
  allowHosts?: string[];
  lambdaEndpoint?: string;
  onStateError?: (error: unknown) => void;
  /** ElastiCache user groups / MemoryDB ACLs attached to a real Redis (`--redis-for`). */
  redisFor?: Record<string, string>;
  /** How long an ElastiCache or MemoryDB user stays `modifying` after a change. */
  cacheModifyingMs?: number;
  /**
   * IAM evaluation (local/core/iam): `enforce` by default, so every integration test runs the
   * project's functions under the roles template.yaml gives them. Callers signing as the account
   * (the harness's own clients) act as its root and are not limited.
   */
  iam?: IamMode;
  /** The SAM template whose roles the functions run under. Default: template.yaml. */
  template?: string;
  /** Stack parameters the roles are resolved with (e.g. AdditionalRotationFunctionArns). */
  templateParameters?: Record<string, string>;
}

export interface RotationFunction {
  /** The handler itself, for tests that invoke steps directly. */
  readonly handler: (event: unknown) => Promise<void>;
  /** The function's own client: separate, so a call counter on it sees only the function. */
  readonly client: SecretsManagerClient;
  /** The function's secret cache: clear it to make the next invocation a cold container. */
  readonly cache: SecretValueCache;
}

/** A started endpoint (all of LocalEndpoint) with the handles a test needs. `close()` is `stop()`. */
export interface TestEndpoint extends LocalEndpoint {
  readonly endpoint: LocalEndpoint;
  readonly account: string;
  readonly region: string;
  readonly credentials: Credentials;
  /** Endpoint, Region and credentials for an SDK client acting as `account` in `region`. */
  readonly clientConfig: ClientConfig;
  /**
   * The same, signing as a function or state machine of template.yaml (its logical id, e.g.
   * `KeyRotationFunction`): the endpoint evaluates such calls against that role's policies.
   */
  functionConfig(logicalId: string, target?: { account?: string; region?: string }): ClientConfig;
  /** The same for another account or Region. */
  configFor(target: { account?: string; region?: string }): ClientConfig;
  /** Where the project's code under test sends its calls: the front when there is one, else `url`. */
  readonly callUrl: string;
  readonly front?: Front;
  /** The `/_rekey/*` admin routes, as `account` in `region` unless told otherwise. */
  readonly admin: TestAdminClient;
  /** Present when `rotation` was asked for. */
  readonly rotation?: RotationFunction;
  /** Stops the front, the harness's clients and the endpoint. Safe to call twice. */
  stop(): Promise<void>;
}

/** The endpoint started with `options`: `rotation` is present when the options asked for it. */
export type TestEndpointOf<O extends TestEndpointOptions> = TestEndpoint &
  (O extends { rotation: RotationWiring | true } ? { readonly rotation: RotationFunction } : unknown);

const silentLogger = () => new Logger({ serviceName: 'rekey-it', logLevel: 'SILENT' });

export const startTestEndpoint = async <O extends TestEndpointOptions>(
  options: O = {} as O,
): Promise<TestEndpointOf<O>> => {
  const account = options.account ?? DEFAULT_ACCOUNT_ID;
  const region = options.region ?? TEST_REGION;
  const secretAccessKey = options.secretAccessKey ?? 'x';
  const endpointOptions: LocalEndpointOptions = {
    port: options.port ?? 0,
    registerDefaultFunctions: options.defaultFunctions ?? false,
    ...(options.host !== undefined && { host: options.host }),
    ...(options.allowHosts !== undefined && { allowHosts: options.allowHosts }),
    ...(options.stateFile !== undefined && { stateFile: options.stateFile }),
    ...(options.lambdaEndpoint !== undefined && { lambdaEndpoint: options.lambdaEndpoint }),
    ...(options.quotas !== undefined && { quotas: options.quotas }),
    ...(options.syncRotation !== undefined && { syncRotation: options.syncRotation }),
    ...(options.onStateError !== undefined && { onStateError: options.onStateError }),
    ...(options.redisFor !== undefined && { redisFor: options.redisFor }),
    ...(options.cacheModifyingMs !== undefined && { cacheModifyingMs: options.cacheModifyingMs }),
    iam: options.iam ?? 'enforce',
    ...(options.template !== undefined && { template: options.template }),
    ...(options.templateParameters !== undefined && { templateParameters: options.templateParameters }),
  };
  const endpoint = await startLocalEndpoint(endpointOptions);
  if (options.clockOffsetMs) endpoint.clock.advance(options.clockOffsetMs);
  const front = options.front ? await options.front(endpoint.url) : undefined;
  const callUrl = front?.url ?? endpoint.url;
  const configFor = (target: { account?: string; region?: string }): ClientConfig => ({
    endpoint: endpoint.url,
    region: target.region ?? region,
    credentials: { accessKeyId: target.account ?? account, secretAccessKey },
  });
  const clientConfig = configFor({});
  const functionConfig = (logicalId: string, target: { account?: string; region?: string } = {}) => ({
    endpoint: endpoint.url,
    region: target.region ?? region,
    credentials: functionCredentials(logicalId, target.account ?? account),
  });

  for (const [name, handler] of Object.entries(options.functions ?? {}))
    endpoint.lambdas.register(name, handler);
  const rotation = options.rotation
    ? wireRotation(endpoint, options.rotation === true ? {} : options.rotation, {
        // Registered as rekey-secret-rotation, the real function signs as its role, as deployed;
        // under another name it stands for someone else's function (the account's root).
        ...(options.rotation === true ||
        ((options.rotation.name ?? 'rekey-secret-rotation') === 'rekey-secret-rotation' &&
          options.rotation.signAs !== 'account')
          ? functionConfig(SECRET_ROTATION_LOGICAL_ID)
          : clientConfig),
        endpoint: callUrl,
      })
    : undefined;

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await endpoint.close();
      rotation?.client.destroy();
      await front?.close();
    })();
    return stopping;
  };
  const started: TestEndpoint = {
    ...endpoint,
    endpoint,
    account,
    region,
    credentials: clientConfig.credentials,
    clientConfig,
    configFor,
    functionConfig,
    callUrl,
    ...(front && { front }),
    admin: testAdminClient({ endpointUrl: endpoint.url, account, region }),
    ...(rotation && { rotation }),
    stop,
    close: stop,
  };
  return started as TestEndpointOf<O>;
};

const wireRotation = (
  endpoint: LocalEndpoint,
  wiring: RotationWiring,
  config: ClientConfig,
): RotationFunction => {
  const client = new SecretsManagerClient({ ...config, ...(wiring.retry ?? {}) });
  const cache = new SecretValueCache();
  const handler = createRotationHandler({
    ...wiring.deps,
    secretsManager: client,
    logger: wiring.logger ?? silentLogger(),
    env: wiring.deps?.env ?? {},
    cache,
  });
  endpoint.lambdas.register(wiring.name ?? 'rekey-secret-rotation', async (payload) => {
    wiring.beforeStep?.(payload as { Step: string; SecretId: string });
    await handler(payload);
    return null;
  });
  return { handler, client, cache };
};
