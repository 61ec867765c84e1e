import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { functionCredentials, type TemplateIdentities } from './core/iam/identities.js';
import type { LambdaRegistry } from './lambdas.js';
import type { RequestContext } from './types.js';

/** Name of the secret rotation function, as deployed by template.yaml and served locally. */
export const SECRET_ROTATION_FUNCTION = 'rekey-secret-rotation';

type RotationHandler = (event: unknown) => Promise<void>;

/**
 * Registers the project's own Lambda functions in-process, so `RotateSecret` against the local
 * endpoint runs the real handler code. Each function talks back to the endpoint at `endpointUrl`
 * as the account and Region of the request that invoked it (one handler, with its client, is
 * cached per account and Region, as a Lambda container would keep it). With the template's
 * identities, each function signs as its own role (`functionCredentials`), so the endpoint
 * evaluates its calls against the policies the template gives that role.
 */
export const registerDefaultFunctions = (
  lambdas: LambdaRegistry,
  endpointUrl: string,
  identities?: TemplateIdentities,
): void => {
  const logicalId = identities?.functionNamed(SECRET_ROTATION_FUNCTION);
  const handlers = new Map<string, Promise<RotationHandler>>();
  const handlerFor = (ctx: RequestContext): Promise<RotationHandler> => {
    const key = `${ctx.accountId}/${ctx.region}`;
    let handler = handlers.get(key);
    if (!handler) {
      // Loaded on first invocation, so the endpoint starts (and serves every other service) even
      // while the handler module is being changed or fails to load.
      handler = import('../functions/secret-rotation/handler.js').then((module) =>
        module.createHandler({
          // The deployed function's retries: with quotas on, a throttled write is waited out
          // as on AWS instead of failing the rotation step.
          secretsManager: new SecretsManagerClient({
            endpoint: endpointUrl,
            region: ctx.region,
            credentials:
              logicalId === undefined
                ? { accessKeyId: ctx.accountId, secretAccessKey: 'local' }
                : functionCredentials(logicalId, ctx.accountId),
            ...module.SECRETS_MANAGER_RETRY,
          }),
        }),
      );
      // A failed import is not cached: the next invocation tries again.
      handler.catch(() => handlers.delete(key));
      handlers.set(key, handler);
    }
    return handler;
  };
  lambdas.register(SECRET_ROTATION_FUNCTION, async (payload, ctx) => {
    const handle = await handlerFor(ctx);
    await handle(payload);
    return null;
  });
};
