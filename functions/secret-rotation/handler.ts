import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger as functionLogger, type Logger } from '../lib/logger.js';
import { type SecretValueCache, secretValueCache } from './cache.js';
import { parseRotationEvent, type RotationEvent } from './event.js';
import { withRotationMetrics } from './metrics.js';
import { generatePassword, passwordDefaultsFromEnv } from './password.js';
import { runRotationStep } from './protocol.js';
import { type RotatorSelector, selectRotator } from './rotators/index.js';
import type { PasswordPolicy } from './rotators/types.js';

/** What the rotation function needs; everything but the client has a production default. */
export interface HandlerDeps {
  readonly secretsManager: SecretsManagerClient;
  readonly logger?: Logger;
  /** Environment to read the configuration from, once (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Secret value cache (default: the container's). */
  readonly cache?: SecretValueCache;
  /** Rotator selection (default: the rotators of this build). */
  readonly selectRotator?: RotatorSelector;
  /** Password generator (default: local, GetRandomPassword semantics). */
  readonly generatePassword?: (policy: PasswordPolicy) => Promise<string>;
}

/** The event after the edge middleware: parsed, with the invocation's own logger. */
interface Invocation {
  readonly rotation: RotationEvent;
  readonly logger: Logger;
}

type Internal = { logger?: Logger };

/**
 * Parses the event at the edge and gives each invocation its own child logger carrying the
 * step, the secret and the ClientRequestToken (a child, not `appendKeys` on the shared
 * logger, so concurrent in-process invocations do not mix their keys). Logs a failure once,
 * with its name and message; the error is rethrown so Lambda reports it as the errorType.
 * Never logs the event: it holds the RotationToken.
 */
const rotationEdge = (base: Logger): MiddlewareObj<unknown, void, Error, Context, Internal> => ({
  name: 'rotationEdge',
  before: (request) => {
    const log = base.createChild();
    request.internal.logger = log;
    const rotation = parseRotationEvent(request.event);
    log.appendKeys({ step: rotation.step, secretId: rotation.secretId, token: rotation.token });
    request.event = { rotation, logger: log } satisfies Invocation;
  },
  onError: (request) => {
    const log = request.internal.logger ?? base;
    log.error('Rotation step failed', request.error ?? new Error('unknown failure'));
  },
});

/**
 * Runs work for one key after the work already queued for it, so two invocations for the same
 * secret and ClientRequestToken (two RotateSecret calls with one token, or a retry arriving while
 * the first attempt still runs) never run their steps at the same time in one container. Each
 * step is safe to run twice; it is not safe to run twice at once (both would change the
 * database). Other keys run concurrently. Entries are removed when their queue empties.
 */
export const serialiser = () => {
  const queues = new Map<string, Promise<unknown>>();
  return async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const before = queues.get(key) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(key, settled);
    try {
      return await run;
    } finally {
      if (queues.get(key) === settled) queues.delete(key);
    }
  };
};

/**
 * Builds the rotation function around a Secrets Manager client. The configuration (password
 * defaults) is read once here, as a Lambda container reads it once at start.
 */
export const createHandler = (deps: HandlerDeps): ((event: unknown) => Promise<void>) => {
  const base = deps.logger ?? functionLogger;
  const passwordDefaults = passwordDefaultsFromEnv(deps.env ?? process.env);
  const protocolDeps = {
    secretsManager: deps.secretsManager,
    cache: deps.cache ?? secretValueCache,
    selectRotator: deps.selectRotator ?? selectRotator,
    passwordDefaults,
    generatePassword: deps.generatePassword ?? (async (policy: PasswordPolicy) => generatePassword(policy)),
  };
  const serialised = serialiser();
  const rotate = middy<unknown, void, Error, Context, Internal>(async (event: unknown) => {
    // rotationEdge replaced the raw event with the parsed invocation.
    const { rotation, logger } = event as Invocation;
    const outcome = await serialised(`${rotation.secretId}\n${rotation.token}`, () =>
      withRotationMetrics(rotation.step, protocolDeps.selectRotator, (selectRotator) =>
        runRotationStep(rotation, { ...protocolDeps, logger, selectRotator }),
      ),
    );
    logger.info('Rotation step finished', { outcome });
  }).use(rotationEdge(base));
  return async (event: unknown) => {
    await rotate(event, {} as Context);
  };
};

/**
 * Retries of the function's Secrets Manager client. Its two writes per rotation share the
 * account's 50/s write quota with everything else (a fleet run paces itself at 90% of it), so a
 * ThrottlingException must be waited out, not turn into a failed rotation: 6 attempts with the
 * standard exponential backoff and jitter (up to about 3 s in all) ride out a busy second.
 */
export const SECRETS_MANAGER_RETRY = { maxAttempts: 6 } as const;

/** The Lambda entry point (template.yaml `Handler: handler.handler`); the client honours AWS_ENDPOINT_URL. */
export const handler = createHandler({
  secretsManager: new SecretsManagerClient({ ...SECRETS_MANAGER_RETRY }),
});
