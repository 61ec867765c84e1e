/** Routes outside the AWS API, under `/_rekey/secretsmanager/<name>`, for tests and the demo. */
import type { LocalService } from '../../types.js';
import { anySecret, type Service } from './context.js';
import { readInput } from './input.js';

export const adminRoutes = (service: Service): NonNullable<LocalService['admin']> => ({
  /** The rotation log of one secret: steps, outcomes, error types and messages, never values. */
  async rotations(body, ctx) {
    const secret = anySecret(service, ctx, readInput(body));
    return {
      ARN: secret.arn,
      Name: secret.name,
      InProgress: service.rotations.inProgress(secret),
      Rotations: secret.rotationLog,
    };
  },
});
