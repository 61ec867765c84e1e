import { Authorizer, type IamMode } from './core/iam/authorizer.js';
import { loadSamTemplate, TemplateIdentities } from './core/iam/identities.js';
import type { Policy } from './core/iam/policy.js';
import { registerDefaultFunctions } from './functions.js';
import { LambdaRegistry } from './lambdas.js';
import { Quotas } from './quotas.js';
import { bindWarning, Clock, createEndpointServer, listen } from './server.js';
import { createAcm } from './services/acm/index.js';
import { createRedisDataPlane } from './services/elasticache/data-plane.js';
import { createElastiCache } from './services/elasticache/index.js';
import { createEventBridge } from './services/eventbridge/index.js';
import { createIam } from './services/iam/index.js';
import { createKms } from './services/kms/index.js';
import { createMemoryDb } from './services/memorydb/index.js';
import { createSecretsManager } from './services/secretsmanager/index.js';
import { openStateStore, type StateStore } from './state.js';
import type { LocalService } from './types.js';

/** Whether RotateSecret runs its steps before answering when `syncRotation` is not given. */
const SYNC_ROTATION_DEFAULT = false;
/** How long close() waits for rotations still running after their response. */
const BACKGROUND_WORK_GRACE_MS = 30_000;

export interface LocalEndpointOptions {
  /** 0 (the default) picks a free port; the chosen one is in `port` and `url`. */
  port?: number;
  host?: string;
  /** `Host` header names to accept besides loopback names and `host` (see server.ts). */
  allowHosts?: string[];
  /**
   * Loads state from this file at start (a missing file is an empty state) and journals every
   * change to `FILE.journal-N`, fsync'd before the response; see `state.ts`. The files hold
   * secret values; they are written with mode 0600.
   */
  stateFile?: string;
  /** Lambda Invoke endpoint for rotation functions not served in-process (e.g. `sam local start-lambda`). */
  lambdaEndpoint?: string;
  /** Registers the project's own functions (secret rotation, ...) in-process. Default true. */
  registerDefaultFunctions?: boolean;
  /**
   * Secrets Manager, KMS and ACM request quotas, answered with ThrottlingException as AWS does
   * (see quotas.ts). `rekey local` turns them on unless `--quotas off`; in-process endpoints
   * (the test suite's) leave them off unless asked, so a test's setup is not paced.
   */
  quotas?: boolean;
  /**
   * Run RotateSecret's four steps before answering it (`--sync-rotation`). By default they run
   * after the response, as on AWS: wait for the rotation as you would against AWS.
   */
  syncRotation?: boolean;
  /**
   * ElastiCache user group ids and MemoryDB ACL names attached to a real Redis (`--redis-for
   * GROUP=redis://HOST:PORT`): each change to their users is applied there with ACL SETUSER.
   */
  redisFor?: Record<string, string>;
  /** How long an ElastiCache or MemoryDB user stays `modifying` after a change (default 300 ms). */
  cacheModifyingMs?: number;
  /** Called when a background state write fails (a compaction, or a background rotation's journal record). */
  onStateError?: (error: unknown) => void;
  /**
   * IAM evaluation (`--iam`): `enforce` (the default) denies what the caller's policies do not
   * allow, `audit` only records it, `off` evaluates nothing. Callers without policies (any
   * credentials but the functions' own and those `iamPolicies` names) act as the account root.
   */
  iam?: IamMode;
  /** The SAM template whose function roles the project's functions run under (`--template`); default template.yaml. */
  template?: string;
  /** Stack parameter values the template's roles are resolved with (a parameter not given takes its Default). */
  templateParameters?: Readonly<Record<string, string>>;
  /** Policies for other callers (`--iam-policy`), by access key id; `*` applies to every other caller. */
  iamPolicies?: ReadonlyMap<string, Policy>;
  /** Appends every denial to this file as a JSON line (`--iam-audit-log`). */
  iamAuditLog?: string;
}

export interface LocalEndpoint {
  url: string;
  port: number;
  clock: Clock;
  lambdas: LambdaRegistry;
  services: LocalService[];
  /** IAM evaluation: its mode (changeable at run time) and the audit log of denials. */
  iam: Authorizer;
  /** What the caller should tell the user at start (binding beyond loopback, ...). */
  warnings: string[];
  /** ARNs of the in-process functions as seen from one account and Region. */
  functionArns(region: string, account: string): string[];
  /** Stops serving and saves the state (when `stateFile` is set); losing nothing on a clean stop. */
  close(): Promise<void>;
}

/**
 * Starts the local AWS endpoint on loopback: every emulated service behind one port, speaking
 * the AWS JSON protocols, so production code runs unchanged with `AWS_ENDPOINT_URL` set.
 */
export const startLocalEndpoint = async (options: LocalEndpointOptions = {}): Promise<LocalEndpoint> => {
  const clock = new Clock();
  const onStateError = (error: unknown) => options.onStateError?.(error);
  const lambdas = new LambdaRegistry(options.lambdaEndpoint);
  // One line per service: add yours here.
  let store: StateStore | undefined;
  const services: LocalService[] = [
    createSecretsManager({
      lambdas,
      clock,
      syncRotation: options.syncRotation ?? SYNC_ROTATION_DEFAULT,
      onBackgroundChange: () => void store?.record()?.catch(onStateError),
    }),
    createAcm({ clock }),
    createEventBridge({ clock }),
    createKms({ clock }),
    createIam({ clock }),
    ...cacheServices(clock, options),
  ];

  const identities = new TemplateIdentities({
    ...(options.template ? { template: loadSamTemplate(options.template) } : {}),
    ...(options.templateParameters ? { parameters: options.templateParameters } : {}),
  });
  const iam = new Authorizer(services, {
    mode: options.iam ?? 'enforce',
    ...(options.iamPolicies ? { callerPolicies: options.iamPolicies } : {}),
    ...(options.iamAuditLog ? { auditFile: options.iamAuditLog } : {}),
    identityOf: (accessKeyId, region) => identities.identityOf(accessKeyId, region),
  });

  if (options.stateFile) store = await openStateStore(options.stateFile, services, { onError: onStateError });
  const host = options.host ?? '127.0.0.1';
  const server = createEndpointServer({
    services,
    clock,
    host,
    allowHosts: options.allowHosts,
    quotas: options.quotas ? new Quotas() : undefined,
    iam,
    beforeResponse: (service, operation) => store?.record(service, operation),
  });
  const port = await listen(server, options.port ?? 0, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (options.registerDefaultFunctions ?? true) registerDefaultFunctions(lambdas, url, identities);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    clock,
    lambdas,
    services,
    iam,
    warnings: [bindWarning(host)].filter((w): w is string => w !== undefined),
    functionArns: (region, account) =>
      lambdas.localFunctionNames().map((name) => `arn:aws:lambda:${region}:${account}:function:${name}`),
    close() {
      closing ??= (async () => {
        // Rotations running after their response finish first (their steps call this endpoint),
        // for at most 30 s: a function that never answers must not keep the endpoint from stopping.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(services.map((s) => s.finishBackgroundWork?.())),
          new Promise((resolve) => {
            timer = setTimeout(resolve, BACKGROUND_WORK_GRACE_MS);
          }),
        ]);
        clearTimeout(timer);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await store?.close();
      })();
      return closing;
    },
  };
};

/** ElastiCache and MemoryDB, sharing one data plane (`--redis-for`). */
const cacheServices = (clock: Clock, options: LocalEndpointOptions): LocalService[] => {
  const dataPlane = createRedisDataPlane(options.redisFor);
  const shared = {
    clock,
    dataPlane,
    ...(options.cacheModifyingMs === undefined ? {} : { modifyingMs: options.cacheModifyingMs }),
  };
  return [createElastiCache(shared), createMemoryDb(shared)];
};
