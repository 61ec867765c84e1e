/**
 * ReplicateSecretToRegions and RemoveRegionsFromReplication: a replica is a read-only copy of its
 * primary in another Region of the same account, kept in sync by `SecretsModel.syncReplicas`.
 */
import { type Operation, writableSecret } from './context.js';
import { compact, type ReplicaStatus, type SecretRecord } from './records.js';

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;

export const replicationOperations: Record<string, Operation> = {
  ReplicateSecretToRegions(input, ctx, service) {
    const { model } = service;
    const secret = writableSecret(service, ctx, input);
    if (!Array.isArray(input.raw.AddReplicaRegions) || input.raw.AddReplicaRegions.length < 1) {
      throw input.error('AddReplicaRegions must list at least one {Region, KmsKeyId}.');
    }
    const add = input.optObjectList('AddReplicaRegions') ?? [];
    const force = input.optBool('ForceOverwriteReplicaSecret') ?? false;
    const requested = add.map((entry) => {
      const region = entry.raw.Region;
      if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
        throw entry.error(`${entry.name('Region')} must be a Region ID such as eu-west-1.`);
      }
      if (region === ctx.region)
        throw entry.error(`${entry.name('Region')} ${region} is the Region of the primary secret.`);
      return { region, kmsKeyId: entry.optString('KmsKeyId') };
    });
    const replicas = secret.replicas ?? [];
    const now = ctx.now.getTime();
    for (const { region, kmsKeyId } of requested) {
      if (replicas.some((r) => r.Region === region))
        throw input.error(`The secret is already replicated to ${region}.`);
      const target = model.scope(ctx.accountId, region, now);
      const status: ReplicaStatus = compact({
        Region: region,
        KmsKeyId: kmsKeyId ?? 'alias/aws/secretsmanager',
        Status: 'InSync' as const,
        StatusMessage: 'Replication succeeded',
      });
      if (target.get(secret.name) && !force) {
        status.Status = 'Failed';
        status.StatusMessage = `Replication failed: a secret named ${secret.name} already exists in ${region}. Pass ForceOverwriteReplicaSecret to overwrite it.`;
      } else {
        const replica: SecretRecord = {
          arn: secret.arn.replace(`:${ctx.region}:`, `:${region}:`),
          name: secret.name,
          tags: [],
          versions: [],
          createdMs: now,
          lastChangedMs: now,
          rotationEnabled: false,
          rotationLog: [],
          primaryRegion: ctx.region,
          ...compact({ kmsKeyId }),
        };
        target.set(replica);
        model.markChanged(replica);
      }
      replicas.push(status);
    }
    secret.replicas = replicas;
    model.syncReplicas(secret);
    return { ARN: secret.arn, ReplicationStatus: replicas.map((r) => compact({ ...r })) };
  },

  RemoveRegionsFromReplication(input, ctx, service) {
    const secret = writableSecret(service, ctx, input);
    const remove = input.optStringList('RemoveReplicaRegions', { minItems: 1 });
    if (!remove) throw input.error('RemoveReplicaRegions must list at least one Region.');
    const replicas = secret.replicas ?? [];
    for (const region of remove) {
      if (!replicas.some((r) => r.Region === region))
        throw input.error(`The secret is not replicated to ${region}.`);
      const target = service.model.store.at(ctx.accountId, region);
      const replica = target.get(secret.name);
      if (replica?.primaryRegion === ctx.region) {
        target.delete(replica.name);
        service.model.markChanged(replica, true);
      }
    }
    secret.replicas = replicas.filter((r) => !remove.includes(r.Region));
    if (!secret.replicas.length) secret.replicas = undefined;
    return { ARN: secret.arn, ReplicationStatus: (secret.replicas ?? []).map((r) => compact({ ...r })) };
  },
};
