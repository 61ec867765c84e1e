import { AwsError } from '../../aws-error.js';
import type { Clock } from '../../server.js';
import type { LocalService, RequestContext } from '../../types.js';
import { kmsAuthorization } from './authorization.js';
import { importOperations } from './import.js';
import { KmsModel, type RegionState } from './model.js';
import type { Operations } from './operation.js';
import { accessOperations } from './operations-access.js';
import { cryptoOperations } from './operations-crypto.js';
import { keyOperations } from './operations-keys.js';
import { rotationOperations } from './operations-rotation.js';

/**
 * The local KMS (`TrentService`, JSON 1.1) with real cryptography. State is per account and
 * Region (`model.ts`); time comes from the endpoint clock, so tests can move through deletion
 * windows. Layout of this folder:
 * - `operations-*.ts`, `import.ts`: the wire-facing operations (input checks, responses);
 * - `model.ts`, `key-states.ts`, `aliases.ts`, `grants.ts`, `rotation.ts`, `policy.ts`: the
 *   records and their rules, unit-tested without HTTP;
 * - `crypto.ts`, `ecdsa.ts`, `specs.ts`: the cryptography and the key spec tables;
 * - `input.ts`: reading the JSON input with errors that name the field.
 */

const OPERATIONS: Operations = {
  ...keyOperations,
  ...accessOperations,
  ...cryptoOperations,
  ...rotationOperations,
  ...importOperations,
};

export interface LocalKms extends LocalService {
  /** The records behind the service, for lookups such as `model.keyForAuthorization(...)`. */
  readonly model: KmsModel;
}

/** Finds the local KMS (and its model) among the endpoint's services. */
export const isKms = (service: LocalService): service is LocalKms =>
  service.targetPrefix === 'TrentService' && 'model' in service;

/**
 * Creates the local KMS service (`X-Amz-Target: TrentService.*`, JSON 1.1).
 *
 * @param options.clock - the endpoint clock; key deletion windows and import token lifetimes
 *   are measured against it.
 */
/** What an account and Region without keys looks like to the authorization checks. */
const EMPTY_REGION: RegionState = Object.freeze({ keys: {}, aliases: {} }) as RegionState;

export const createKms = (options: { clock: Clock }): LocalKms => {
  const model = new KmsModel(options.clock);
  return {
    targetPrefix: 'TrentService',
    jsonVersion: '1.1',
    model,
    // IAM checks per operation and key policies (authorization.ts); reads never create a Region.
    authorization: kmsAuthorization((account, region) => model.peekRegion(account, region) ?? EMPTY_REGION),
    async handle(operation: string, input: Record<string, unknown>, ctx: RequestContext): Promise<unknown> {
      const op = OPERATIONS[operation];
      if (!op) {
        throw new AwsError(
          'UnknownOperationException',
          `The local KMS does not implement ${operation}; supported: ${Object.keys(OPERATIONS).join(', ')}.`,
        );
      }
      model.sweep(ctx.now.getTime());
      return op(model, input, ctx);
    },
    snapshot: () => model.snapshot(),
    restore: (state) => model.restore(state),
  };
};
