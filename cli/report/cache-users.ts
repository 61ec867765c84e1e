/**
 * `rekey doctor`: ElastiCache and MemoryDB users (docs/elasticache-users.md) that still have two
 * passwords although no rotation of their secret is running. finishSecret removes the previous
 * password after AWSCURRENT moved; when that call fails the rotation still finishes, so the old
 * password keeps working until the next rotation replaces both. Read-only: the secret value is
 * read for its `user_arn` only, and the services report a password count, never a password.
 */

import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { mapBounded } from '../../functions/lib/retry.js';
import { foreignPending } from '../../functions/secret-fleet/assess.js';
import { listSecrets } from '../../functions/secret-fleet/list.js';
import { defaultCacheUserApi } from '../../functions/secret-rotation/rotators/cache-user-api.js';
import {
  type CacheUserArn,
  parseCacheUserArn,
} from '../../functions/secret-rotation/rotators/cache-user-secret.js';
import { tryParseJsonObject } from '../../functions/secret-rotation/rotators/secret-format.js';
import type { ReportClients } from './clients.js';

export interface CacheUserFinding {
  readonly secretName: string;
  readonly secretArn: string;
  readonly user: CacheUserArn;
  readonly passwordCount: number;
}

const NAMES = { elasticache: 'ElastiCache', memorydb: 'MemoryDB' } as const;

/** The user's password count (the rotator's own API, beside the report's Secrets Manager client). */
const passwordCountOf = async (clients: ReportClients, region: string, user: CacheUserArn) =>
  (await (await defaultCacheUserApi(user, clients.secrets(region))).describe())?.passwordCount;

/** The rotated cache-user secrets of a Region whose user has two passwords outside a rotation. */
export const findCacheUsersWithTwoPasswords = async (
  clients: ReportClients,
  region: string,
  notes: string[] = [],
  maxSecrets = 10_000,
): Promise<CacheUserFinding[]> => {
  const listed = await listSecrets(clients.fleet(region), {}, maxSecrets);
  let unchecked = 0;
  const found = await mapBounded(listed.secrets, 5, async (secret): Promise<CacheUserFinding | undefined> => {
    // A rotation in progress (or failed, which the doctor reports on its own) has two on purpose.
    if (!secret.rotationEnabled || foreignPending(secret.versionStages) !== undefined) return undefined;
    let user: CacheUserArn | undefined;
    try {
      const answer = await clients.secrets(region).send(new GetSecretValueCommand({ SecretId: secret.arn }));
      const value = answer?.SecretString === undefined ? undefined : tryParseJsonObject(answer.SecretString);
      user =
        typeof value?.user_arn === 'string' && value.engine === undefined
          ? parseCacheUserArn(value.user_arn)
          : undefined;
    } catch (error) {
      if (error instanceof Error && ['AccessDeniedException', 'DecryptionFailure'].includes(error.name))
        return undefined;
      throw error;
    }
    if (!user) return undefined;
    try {
      const passwordCount = await passwordCountOf(clients, region, user);
      return passwordCount !== undefined && passwordCount > 1
        ? { secretName: secret.name, secretArn: secret.arn, user, passwordCount }
        : undefined;
    } catch (error) {
      if (error instanceof Error && /AccessDenied/.test(error.name)) {
        unchecked++;
        return undefined;
      }
      throw error;
    }
  });
  if (unchecked > 0) {
    notes.push(
      `${unchecked} ElastiCache/MemoryDB user(s) named by secrets in ${region} could not be described (elasticache:DescribeUsers or memorydb:DescribeUsers denied): whether they still have two passwords was not checked.`,
    );
  }
  return found.filter((f): f is CacheUserFinding => f !== undefined);
};

/** What the doctor says about one finding, and the command that fixes it. */
export const describeCacheUserFinding = (finding: CacheUserFinding, region: string) => ({
  description: `${NAMES[finding.user.service]} user ${finding.user.userRef} (${finding.user.arn}), rotated by ${finding.secretName}, has ${finding.passwordCount} passwords although no rotation is running: the last rotation could not remove the previous password, which still logs in. Rotate the secret again (the next rotation sets only the new and the current password, and removes the current one when it finishes), and check the rotation function may call ${finding.user.service === 'elasticache' ? 'elasticache:ModifyUser' : 'memorydb:UpdateUser'} on this user.`,
  fix: [`aws secretsmanager rotate-secret --region ${region} --secret-id ${finding.secretArn}`],
});
