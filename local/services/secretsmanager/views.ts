/** Secrets and versions as the API returns them (dates in epoch seconds, absent fields left out). */
import type { RequestContext } from '../../types.js';
import { compact, regionOf, type SecretRecord, type VersionRecord } from './records.js';

export const seconds = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : ms / 1000;

/** LastAccessedDate is reported to the day: AWS rounds it down to midnight UTC. */
const dayOf = (ms: number): number => Math.floor(ms / 86_400_000) * 86_400_000;

/** DescribeSecret's fields (ListSecrets adds SecretVersionsToStages, DescribeSecret VersionIdsToStages). */
export const describe = (secret: SecretRecord) =>
  compact({
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    KmsKeyId: secret.kmsKeyId,
    RotationEnabled: secret.rotationEnabled,
    RotationLambdaARN: secret.rotationLambdaArn,
    RotationRules: secret.rotationRules,
    LastRotatedDate: seconds(secret.lastRotatedMs),
    LastChangedDate: seconds(secret.lastChangedMs),
    LastAccessedDate: seconds(secret.lastAccessedMs),
    DeletedDate: seconds(secret.deletedMs),
    NextRotationDate: secret.rotationEnabled ? seconds(secret.nextRotationMs) : undefined,
    Tags: secret.tags.length ? secret.tags : undefined,
    CreatedDate: seconds(secret.createdMs),
    PrimaryRegion: secret.primaryRegion ?? (secret.replicas?.length ? regionOf(secret) : undefined),
    ReplicationStatus: secret.replicas?.length ? secret.replicas.map((r) => compact({ ...r })) : undefined,
  });

/** A version's value as GetSecretValue returns it; reading it stamps the access date (to the day). */
export const readValue = (secret: SecretRecord, version: VersionRecord, ctx: RequestContext) => {
  const today = dayOf(ctx.now.getTime());
  version.lastAccessedMs = today;
  secret.lastAccessedMs = today;
  return compact({
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.versionId,
    SecretString: version.secretString,
    SecretBinary: version.secretBinary,
    VersionStages: [...version.stages],
    CreatedDate: seconds(version.createdMs),
  });
};
