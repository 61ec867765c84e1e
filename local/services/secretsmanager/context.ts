/**
 * What every Secrets Manager operation gets: the model, the endpoint's Lambda registry and clock,
 * the rotation runner; and the three ways an operation finds the secret its input names.
 */
import { invalidRequest } from '../../aws-error.js';
import type { InputReader } from '../../core/input.js';
import type { LambdaRegistry } from '../../lambdas.js';
import type { Clock } from '../../server.js';
import type { RequestContext } from '../../types.js';
import { MARKED_FOR_DELETION, type SecretsModel } from './model.js';
import type { SecretRecord } from './records.js';
import type { RotationRunner } from './rotation-runner.js';

export interface Service {
  readonly model: SecretsModel;
  readonly lambdas: LambdaRegistry;
  readonly clock: Clock;
  readonly rotations: RotationRunner;
}

/** One operation: its input read through `InputReader` (InvalidParameterException, naming the field). */
export type Operation = (input: InputReader, ctx: RequestContext, service: Service) => unknown;

const SECRET_ID_MAX = 2048;

/** The secret `SecretId` names, live or scheduled for deletion (DescribeSecret, DeleteSecret, ...). */
export const anySecret = (service: Service, ctx: RequestContext, input: InputReader): SecretRecord =>
  service.model.find(
    ctx.accountId,
    ctx.region,
    input.reqString('SecretId', { max: SECRET_ID_MAX }),
    ctx.now.getTime(),
  );

/** The secret `SecretId` names, refusing one scheduled for deletion. */
export const liveSecret = (service: Service, ctx: RequestContext, input: InputReader): SecretRecord => {
  const secret = anySecret(service, ctx, input);
  if (secret.deletedMs !== undefined) throw invalidRequest(MARKED_FOR_DELETION);
  return secret;
};

/** A secret the caller may change: live, and not a replica (replicas follow their primary). */
export const writableSecret = (service: Service, ctx: RequestContext, input: InputReader): SecretRecord => {
  const secret = liveSecret(service, ctx, input);
  if (secret.primaryRegion !== undefined) {
    throw invalidRequest(
      `Operation is not permitted on a replica secret. Change the primary secret in ${secret.primaryRegion}; its replicas follow.`,
    );
  }
  return secret;
};
