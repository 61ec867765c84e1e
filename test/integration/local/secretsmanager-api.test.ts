/**
 * Secrets Manager operations added for issue 13: BatchGetSecretValue, resource policies,
 * replication, and NextRotationDate after a manual change. Runs against AWS_ENDPOINT_URL when
 * set (see target.ts); `itLocal` tests need this endpoint's clock or in-process functions.
 */
import { randomUUID } from 'node:crypto';
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PublicPolicyException,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  RemoveRegionsFromReplicationCommand,
  ReplicateSecretToRegionsCommand,
  ResourceNotFoundException,
  RotateSecretCommand,
  SecretsManagerClient,
  ValidateResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExternalSecrets, itLocal, openTarget, type Target } from './target.js';

const ACCOUNT = '210987654321';
const REGION = 'eu-west-1';
const REPLICA_REGION = 'eu-north-1';
const DAY = 86_400_000;

let target: Target;
let sm: SecretsManagerClient;
let replicaSm: SecretsManagerClient;
const created: string[] = [];

beforeAll(async () => {
  target = await openTarget(REGION, ACCOUNT);
  sm = new SecretsManagerClient({ ...target.clientConfig, maxAttempts: 1 });
  replicaSm = new SecretsManagerClient({ ...target.clientConfig, region: REPLICA_REGION, maxAttempts: 1 });
});
afterAll(async () => {
  // Against a real account, leave nothing behind.
  await deleteExternalSecrets(target, sm, created);
  sm?.destroy();
  replicaSm?.destroy();
  await target?.close();
});

const createSecret = async (label: string, value = `value-${randomUUID()}`) => {
  const out = await sm.send(
    new CreateSecretCommand({ Name: `api/${label}-${randomUUID().slice(0, 8)}`, SecretString: value }),
  );
  if (out.ARN) created.push(out.ARN);
  return { arn: out.ARN ?? '', name: out.Name ?? '', value };
};

describe('BatchGetSecretValue', () => {
  it('returns the AWSCURRENT values of the listed secrets and reports each missing one in Errors', async () => {
    const a = await createSecret('batch-a');
    const b = await createSecret('batch-b');
    await sm.send(new PutSecretValueCommand({ SecretId: b.arn, SecretString: 'b-current' }));
    const missing = `api/missing-${randomUUID()}`;
    const out = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: [a.name, b.arn, missing] }));
    const byName = Object.fromEntries((out.SecretValues ?? []).map((v) => [v.Name, v]));
    expect(byName[a.name]?.SecretString).toBe(a.value);
    expect(byName[b.name]?.SecretString).toBe('b-current');
    expect(byName[b.name]?.VersionStages).toEqual(['AWSCURRENT']);
    expect(out.Errors).toEqual([
      expect.objectContaining({ SecretId: missing, ErrorCode: 'ResourceNotFoundException' }),
    ]);
  });

  it('selects secrets with Filters, and refuses both or neither of SecretIdList and Filters', async () => {
    const label = `batchfilter${randomUUID().slice(0, 6)}`;
    const one = await createSecret(label);
    const out = await sm.send(
      new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: [one.name] }] }),
    );
    expect(out.SecretValues?.map((v) => v.SecretString)).toEqual([one.value]);
    await expect(sm.send(new BatchGetSecretValueCommand({}))).rejects.toThrow(InvalidParameterException);
    await expect(
      sm.send(
        new BatchGetSecretValueCommand({
          SecretIdList: [one.name],
          Filters: [{ Key: 'name', Values: [one.name] }],
        }),
      ),
    ).rejects.toThrow(InvalidParameterException);
  });
});

describe('resource policies', () => {
  const policy = (principal: unknown, condition?: unknown) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: principal,
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
          ...(condition ? { Condition: condition } : {}),
        },
      ],
    });

  it('puts, gets and deletes a policy; validates one; blocks a public one unless told not to', async () => {
    const secret = await createSecret('policy');
    const account = target.account ?? '123456789012';
    const named = policy({ AWS: `arn:aws:iam::${account}:root` });
    const validated = await sm.send(new ValidateResourcePolicyCommand({ ResourcePolicy: named }));
    expect(validated.PolicyValidationPassed).toBe(true);
    const invalid = await sm.send(
      new ValidateResourcePolicyCommand({
        ResourcePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{}] }),
      }),
    );
    expect(invalid.PolicyValidationPassed).toBe(false);
    expect(invalid.ValidationErrors?.length).toBeGreaterThan(0);

    expect(
      (await sm.send(new GetResourcePolicyCommand({ SecretId: secret.arn }))).ResourcePolicy,
    ).toBeUndefined();
    await sm.send(new PutResourcePolicyCommand({ SecretId: secret.arn, ResourcePolicy: named }));
    const got = await sm.send(new GetResourcePolicyCommand({ SecretId: secret.arn }));
    expect(JSON.parse(got.ResourcePolicy ?? '{}')).toEqual(JSON.parse(named));
    expect(got.ARN).toBe(secret.arn);

    await expect(
      sm.send(
        new PutResourcePolicyCommand({
          SecretId: secret.arn,
          ResourcePolicy: policy('*'),
          BlockPublicPolicy: true,
        }),
      ),
    ).rejects.toThrow(PublicPolicyException);
    // The refused policy did not replace the one in place.
    expect(
      JSON.parse(
        (await sm.send(new GetResourcePolicyCommand({ SecretId: secret.arn }))).ResourcePolicy ?? '{}',
      ),
    ).toEqual(JSON.parse(named));

    await sm.send(new DeleteResourcePolicyCommand({ SecretId: secret.arn }));
    expect(
      (await sm.send(new GetResourcePolicyCommand({ SecretId: secret.arn }))).ResourcePolicy,
    ).toBeUndefined();
  });
});

describe('replication', () => {
  it('replicates a secret to another Region, keeps the replica in step and read-only, and removes it', async () => {
    const secret = await createSecret('replicated');
    const out = await sm.send(
      new ReplicateSecretToRegionsCommand({
        SecretId: secret.arn,
        AddReplicaRegions: [{ Region: REPLICA_REGION }],
      }),
    );
    expect(out.ReplicationStatus).toEqual([expect.objectContaining({ Region: REPLICA_REGION })]);
    const replicaArn = secret.arn.replace(`:${target.region}:`, `:${REPLICA_REGION}:`);
    // Replication is asynchronous on AWS: wait until the replica answers.
    await expect
      .poll(
        async () => (await replicaSm.send(new GetSecretValueCommand({ SecretId: secret.name }))).SecretString,
        { timeout: 60_000, interval: 500 },
      )
      .toBe(secret.value);
    const replica = await replicaSm.send(new DescribeSecretCommand({ SecretId: secret.name }));
    expect(replica.ARN).toBe(replicaArn);
    expect(replica.PrimaryRegion).toBe(target.region);
    const primary = await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }));
    expect(primary.PrimaryRegion).toBe(target.region);
    expect(primary.ReplicationStatus?.map((r) => r.Region)).toEqual([REPLICA_REGION]);

    await sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'changed-on-primary' }));
    await expect
      .poll(
        async () => (await replicaSm.send(new GetSecretValueCommand({ SecretId: secret.name }))).SecretString,
        { timeout: 60_000, interval: 500 },
      )
      .toBe('changed-on-primary');
    await expect(
      replicaSm.send(new PutSecretValueCommand({ SecretId: secret.name, SecretString: 'on-replica' })),
    ).rejects.toThrow(InvalidRequestException);
    // A primary with replicas cannot be deleted until they are removed.
    await expect(sm.send(new DeleteSecretCommand({ SecretId: secret.arn }))).rejects.toThrow(
      InvalidRequestException,
    );

    const removed = await sm.send(
      new RemoveRegionsFromReplicationCommand({
        SecretId: secret.arn,
        RemoveReplicaRegions: [REPLICA_REGION],
      }),
    );
    expect(removed.ReplicationStatus ?? []).toEqual([]);
    await expect
      .poll(
        async () =>
          replicaSm.send(new DescribeSecretCommand({ SecretId: secret.name })).then(
            () => 'present',
            (error: unknown) => (error instanceof ResourceNotFoundException ? 'gone' : String(error)),
          ),
        { timeout: 60_000, interval: 500 },
      )
      .toBe('gone');
  });
});

describe('NextRotationDate', () => {
  itLocal('counts a PutSecretValue as a rotation, with windows of whole UTC days', async () => {
    const local = target.local;
    if (!local) throw new Error('itLocal runs only against the local endpoint');
    const fn = `noop-rotation-${randomUUID().slice(0, 6)}`;
    local.lambdas.register(fn, async () => null);
    const secret = await createSecret('next-rotation');
    await sm.send(
      new RotateSecretCommand({
        SecretId: secret.arn,
        RotationLambdaARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn}`,
        RotationRules: { AutomaticallyAfterDays: 10 },
        RotateImmediately: false,
      }),
    );
    local.clock.advance(3 * DAY);
    try {
      const now = local.clock.now().getTime();
      await sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'manual' }));
      const next = (await sm.send(new DescribeSecretCommand({ SecretId: secret.arn }))).NextRotationDate;
      // The window of the day ten days after the manual change, ending 23:59:59 UTC.
      expect(next?.getTime()).toBe(Math.floor(now / DAY) * DAY + 11 * DAY - 1000);
    } finally {
      local.clock.advance(-3 * DAY);
    }
  });
});
