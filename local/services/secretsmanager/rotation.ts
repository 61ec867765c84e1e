/**
 * RotateSecret and CancelRotateSecret: checks and the rotation configuration a secret keeps. The
 * steps themselves run in `rotation-runner.ts`.
 */
import { randomUUID } from 'node:crypto';
import { AwsError, invalidRequest } from '../../aws-error.js';
import { parseLambdaArn } from '../../lambdas.js';
import { type Operation, writableSecret } from './context.js';
import { clientToken } from './input.js';
import { CURRENT, compact, PENDING } from './records.js';
import { nextRotationDate, validateRotationRules } from './schedule.js';
import { addPendingPlaceholder, holderOf } from './versions.js';

export const rotationOperations: Record<string, Operation> = {
  async RotateSecret(input, ctx, service) {
    const secret = writableSecret(service, ctx, input);
    const token = clientToken(input) ?? randomUUID();
    const lambdaArn = input.optString('RotationLambdaARN', { max: 2048 }) ?? secret.rotationLambdaArn;
    const rules =
      input.raw.RotationRules === undefined ? undefined : validateRotationRules(input.raw.RotationRules);
    const immediately = input.optBool('RotateImmediately') ?? true;
    if (!lambdaArn) {
      throw invalidRequest(
        'No Lambda rotation function ARN is associated with this secret: pass RotationLambdaARN (for example the rekey-secret-rotation function this endpoint serves).',
      );
    }
    if (!parseLambdaArn(lambdaArn))
      throw input.error(`RotationLambdaARN ${lambdaArn} is not a Lambda function ARN.`);
    if (!service.lambdas.canInvoke(lambdaArn)) {
      throw new AwsError(
        'AccessDeniedException',
        `Secrets Manager cannot invoke the specified Lambda function ${lambdaArn}: this endpoint does not serve it. Use one of the functions 'rekey local' lists, or start it with --lambda-endpoint URL.`,
      );
    }
    // AWSPENDING on a version other than AWSCURRENT means a rotation is still in progress. AWS
    // reattempts that rotation with its own ClientRequestToken; a caller passing that same token
    // reattempts it too (the function's createSecret finds the pending value and goes on).
    const pending = holderOf(secret, PENDING);
    if (pending && !pending.stages.includes(CURRENT) && pending.versionId !== token) {
      throw invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.");
    }
    const now = ctx.now.getTime();
    secret.rotationLambdaArn = lambdaArn;
    if (rules) secret.rotationRules = rules;
    secret.rotationEnabled = true;
    secret.lastChangedMs = now;
    if (secret.rotationRules)
      secret.nextRotationMs = nextRotationDate(secret.rotationRules, secret.lastRotatedMs, now);

    if (!immediately) {
      await service.rotations.testConfiguration(secret, lambdaArn, now, ctx);
      return { ARN: secret.arn, Name: secret.name };
    }
    // The placeholder AWSPENDING version: no value until the function's createSecret stores one.
    addPendingPlaceholder(secret, token, now);
    await service.rotations.rotate(secret, lambdaArn, token, ctx);
    return { ARN: secret.arn, Name: secret.name, VersionId: token };
  },

  CancelRotateSecret(input, ctx, service) {
    const secret = writableSecret(service, ctx, input);
    // Turns rotation off; the function ARN and rules stay so RotateSecret can turn it on again.
    // Labels are left as they are: the docs ask the caller to clean up a partial AWSPENDING.
    secret.rotationEnabled = false;
    secret.nextRotationMs = undefined;
    secret.lastChangedMs = ctx.now.getTime();
    const pending = holderOf(secret, PENDING);
    return compact({
      ARN: secret.arn,
      Name: secret.name,
      VersionId: pending && !pending.stages.includes(CURRENT) ? pending.versionId : undefined,
    });
  },
};
