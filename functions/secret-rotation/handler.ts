import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { awsClient } from '../lib/aws.js';
import { withInvocationLogger } from '../lib/invocation.js';
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
export const createHandler = (deps: HandlerDeps): ((event: unknown, context?: Context) => Promise<void>) => {
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
  // Each invocation logs through its own child logger carrying the step, the secret and the
  // ClientRequestToken (functions/lib/invocation.ts); the event itself is never logged: it holds
  // the RotationToken.
  const rotate = withInvocationLogger<RotationEvent, void>(
    {
      logger: base,
      parse: parseRotationEvent,
      keys: (rotation) => ({ step: rotation.step, secretId: rotation.secretId, token: rotation.token }),
      failureMessage: 'Rotation step failed',
    },
    async (rotation, logger) => {
      const outcome = await serialised(`${rotation.secretId}\n${rotation.token}`, () =>
        withRotationMetrics(rotation.step, protocolDeps.selectRotator, (selectRotator) =>
          runRotationStep(rotation, { ...protocolDeps, logger, selectRotator }),
        ),
      );
      logger.info('Rotation step finished', { outcome });
    },
  );
  return async (event: unknown, context?: Context) => {
    await rotate(event, context);
  };
};

/**
 * The Lambda entry point (template.yaml `Handler: handler.handler`). The client comes from the one
 * factory: the standard AWS configuration (AWS_REGION, AWS_ENDPOINT_URL) and the one retry
 * policy, whose throttling retries wait out a busy second on the account's 50/s write quota
 * (the function's two writes per rotation share it with everything else).
 */
export const handler = createHandler({ secretsManager: awsClient(SecretsManagerClient) });
