/**
 * AWS Secrets Manager for the local endpoint (JSON 1.1, `X-Amz-Target: secretsmanager.*`).
 *
 * Behaviour follows the Secrets Manager API reference, including the parts other emulators get
 * wrong: a bare GetSecretValue reads AWSCURRENT, a staging label sits on one version at a time,
 * moving AWSCURRENT moves AWSPREVIOUS, reusing a ClientRequestToken with other data is
 * ResourceExistsException, and RotateSecret refuses while AWSPENDING sits on a version other than
 * AWSCURRENT.
 *
 * RotateSecret answers at once and runs the function's four steps after the response, as AWS
 * does; `syncRotation` runs them before answering instead. Failures are reported as AWS reports
 * them, out of band: RotateSecret still answers 200, and the failure is recorded in a per-secret
 * rotation log served at `/_rekey/secretsmanager/rotations` (with `InProgress` while steps run).
 *
 * The folder: `records.ts` (what is kept), `versions.ts` (version and staging-label rules),
 * `model.ts` (the store of every account and Region, lookups, journal), the operations by theme
 * (`provider.ts`, `listing.ts` with `filters.ts`, `rotation.ts` with `rotation-runner.ts` and
 * `schedule.ts`, `replication.ts`, `policy.ts`, `random-password.ts`), `admin.ts`, and this file,
 * which puts them together behind the endpoint's `LocalService` interface.
 */
import { AwsError } from '../../aws-error.js';
import type { LambdaRegistry } from '../../lambdas.js';
import type { Clock } from '../../server.js';
import type { LocalService } from '../../types.js';
import { adminRoutes } from './admin.js';
import { secretsManagerAuthorization } from './authorization.js';
import type { Operation, Service } from './context.js';
import { readInput } from './input.js';
import { listingOperations } from './listing.js';
import { SecretsModel } from './model.js';
import { policyOperations } from './policy.js';
import { secretOperations } from './provider.js';
import { randomPasswordOperations } from './random-password.js';
import type { SecretRecord } from './records.js';
import { replicationOperations } from './replication.js';
import { rotationOperations } from './rotation.js';
import { RotationRunner } from './rotation-runner.js';

export type { SecretFacts } from './model.js';
export { SecretsModel } from './model.js';
export type { RotationLogEntry } from './records.js';

/** Operations that change nothing a restart must keep (GetSecretValue's day-rounded access date aside). */
const READ_ONLY = /^(Describe|Get|List|BatchGet|Validate)/;

interface Snapshot {
  /** Key `ACCOUNT/REGION`: Secrets Manager is a regional service, secrets are per account and Region. */
  scopes: Record<string, SecretRecord[]>;
}

/** The Secrets Manager service, with its model for modules that look secrets up (authorization). */
export interface SecretsManagerService extends LocalService {
  readonly model: SecretsModel;
}

/** Finds the Secrets Manager among an endpoint's services (`endpoint.services`), for its `model`. */
export const isSecretsManager = (service: LocalService): service is SecretsManagerService =>
  service.targetPrefix === 'secretsmanager' && 'model' in service;

/**
 * Creates the Secrets Manager service of the local endpoint. Rotation functions are invoked
 * through `lambdas` (in-process or remote); `clock` stamps every date.
 */
export const createSecretsManager = (deps: {
  lambdas: LambdaRegistry;
  clock: Clock;
  /** Called when state changed outside a request (a rotation running after its response). */
  onBackgroundChange?: () => void;
  /** Run RotateSecret's steps before answering (the old local behaviour), not after. */
  syncRotation?: boolean;
}): SecretsManagerService => {
  const model = new SecretsModel();
  const rotations = new RotationRunner({ model, ...deps });
  const service: Service = { model, lambdas: deps.lambdas, clock: deps.clock, rotations };
  const operations: Record<string, Operation> = {
    ...secretOperations,
    ...listingOperations,
    ...rotationOperations,
    ...replicationOperations,
    ...policyOperations,
    ...randomPasswordOperations,
  };

  return {
    targetPrefix: 'secretsmanager',
    jsonVersion: '1.1',
    model,
    // IAM checks per operation (authorization.ts); a lookup never purges and never reads a value.
    authorization: secretsManagerAuthorization({
      secret: (ctx, secretId) => model.lookup(ctx.accountId, ctx.region, secretId),
    }),
    async handle(operation, input, ctx) {
      const run = operations[operation];
      if (!run) {
        throw new AwsError(
          'UnknownOperationException',
          `The local Secrets Manager does not implement ${operation}. It serves: ${Object.keys(operations).join(', ')}.`,
        );
      }
      // Operations run synchronously up to their first await, so the secrets found until then are
      // the ones this operation changes; a failed write may still have changed them (rotation log).
      model.takeTouched();
      let result: unknown;
      try {
        result = run(readInput(input), ctx, service);
      } finally {
        const touched = model.takeTouched();
        if (!READ_ONLY.test(operation)) {
          for (const secret of touched) {
            model.markChanged(secret);
            if (secret.replicas?.length) model.syncReplicas(secret);
          }
        }
      }
      return result;
    },
    journal: model.journal,
    admin: adminRoutes(service),
    finishBackgroundWork: () => rotations.finish(),
    snapshot(): Snapshot {
      return { scopes: model.snapshot() };
    },
    restore(state) {
      const snapshot = (state ?? { scopes: {} }) as Snapshot;
      if (typeof snapshot.scopes !== 'object' || snapshot.scopes === null) {
        throw new Error('Secrets Manager state must be an object with "scopes".');
      }
      model.restore(snapshot.scopes);
    },
  };
};
