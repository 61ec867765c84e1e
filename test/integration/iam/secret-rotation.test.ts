/**
 * The loop between template.yaml and the local endpoint is real: the in-process rotation
 * function signs as the role the template gives it, and the endpoint refuses what that role may
 * not do, exactly as AWS would (AccessDeniedException naming the role session, the action and
 * the resource). Each case shows the refusal and that the rotation succeeds once the permission
 * is there.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEndpoint } from '../../../local/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';
import { type RotationHarness, readRotationLog, startRotationHarness } from '../helpers/database-rotation.js';
import { REDIS, randomSuffix, redisAdmin, redisCanLogin } from '../helpers/databases.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-secret-rotation`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/rekey-SecretRotationFunctionRole/rekey-secret-rotation`;
const template = new URL('../../../template.yaml', import.meta.url);

describe('a permission removed from a copy of the template', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rekey-iam-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Rotates a generated secret on an endpoint running the functions under `templatePath`'s roles. */
  const rotateGenerated = async (templatePath?: string) => {
    const endpoint = await startLocalEndpoint(templatePath ? { template: templatePath } : {});
    try {
      const sm = new SecretsManagerClient({
        endpoint: endpoint.url,
        region: REGION,
        credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
      });
      const { ARN } = await sm.send(
        new CreateSecretCommand({
          Name: `iam/generated-${randomUUID().slice(0, 8)}`,
          SecretString: 'initial-key-0001',
        }),
      );
      const { VersionId } = await sm.send(
        new RotateSecretCommand({ SecretId: ARN, RotationLambdaARN: FUNCTION_ARN }),
      );
      const local = { endpointUrl: endpoint.url, region: REGION, account: ACCOUNT };
      return await waitForRotation({ sm, secretId: ARN ?? '', token: VersionId, local });
    } finally {
      await endpoint.close();
    }
  };

  it('without secretsmanager:PutSecretValue the rotation fails at createSecret, naming the action', async () => {
    const text = await readFile(template, 'utf8');
    const line = '                  - secretsmanager:PutSecretValue\n';
    expect(text).toContain(line);
    const copy = join(dir, 'template.yaml');
    await writeFile(copy, text.replace(line, ''));

    const outcome = await rotateGenerated(copy);

    expect(outcome.status).toBe('failed');
    const { failure } = outcome;
    expect(failure).toMatchObject({ step: 'createSecret', errorType: 'AccessDeniedException' });
    expect(failure?.message).toMatch(
      new RegExp(
        `^User: ${SESSION} is not authorized to perform: secretsmanager:PutSecretValue on resource: arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:iam/generated-\\S+ because no identity-based policy allows the secretsmanager:PutSecretValue action$`,
      ),
    );
  });

  it('with the template as it is, the same rotation succeeds', async () => {
    expect((await rotateGenerated()).status).toBe('succeeded');
  });
});

describe('secrets the role may read only when their owner says so', () => {
  let harness: RotationHarness;
  let kms: KMSClient;
  let admin: Awaited<ReturnType<typeof redisAdmin>>;
  const users: string[] = [];

  beforeAll(async () => {
    harness = await startRotationHarness();
    kms = new KMSClient({
      endpoint: harness.endpoint.url,
      region: REGION,
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
    });
    admin = await redisAdmin();
  });
  afterAll(async () => {
    if (users.length) await admin?.sendCommand(['ACL', 'DELUSER', ...users]);
    await admin?.close();
    await harness?.close();
  });

  it('alternating users: a superuser secret without rekey:superuser=true fails as on AWS, tagged it rotates', async () => {
    const suffix = randomSuffix();
    const [master, app] = [`rekey_iam_admin_${suffix}`, `rekey_iam_app_${suffix}`];
    const [masterPassword, appPassword] = [
      `admin-${randomSuffix()}${randomSuffix()}`,
      `app-${randomSuffix()}${randomSuffix()}`,
    ];
    users.push(master, app, `${app}_clone`);
    await admin.sendCommand(['ACL', 'SETUSER', master, 'on', `>${masterPassword}`, '~*', '&*', '+@all']);
    await admin.sendCommand([
      'ACL',
      'SETUSER',
      app,
      'on',
      `>${appPassword}`,
      '~app:*',
      '&*',
      '+@read',
      '+ping',
    ]);
    const redis = { engine: 'redis', host: REDIS.host, port: REDIS.port, ssl: false };
    // No tag: the owner has not marked it as a superuser secret for rekey.
    const masterArn = await harness.createSecret('iam-master', {
      ...redis,
      username: master,
      password: masterPassword,
    });
    const arn = await harness.createSecret('iam-app', {
      ...redis,
      username: app,
      password: appPassword,
      masterarn: masterArn,
    });

    const refused = await harness.rotate(arn);
    expect(refused.failure).toMatchObject({ errorType: 'AccessDeniedException' });
    expect(refused.failure?.message).toBe(
      `User: ${SESSION} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${masterArn} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    );
    expect(await redisCanLogin(app, appPassword)).toBe(true);

    await harness.sm.send(
      new TagResourceCommand({ SecretId: masterArn, Tags: [{ Key: 'rekey:superuser', Value: 'true' }] }),
    );
    const retried = await harness.rotate(arn, { token: refused.token });
    expect(retried.failure).toBeUndefined();
    const current = await harness.valueAt(arn, 'AWSCURRENT');
    expect(current.username).toBe(`${app}_clone`);
    expect(await redisCanLogin(`${app}_clone`, String(current.password))).toBe(true);
  });

  it('a secret under a customer managed key rotates only when the role may use that key', async () => {
    const usable = await kms.send(new CreateKeyCommand({ Description: 'rekey iam usable' }));
    const denied = await kms.send(
      new CreateKeyCommand({
        Description: 'rekey iam denied',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'Enable IAM User Permissions',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
              Action: 'kms:*',
              Resource: '*',
            },
            {
              Sid: 'NotForRotation',
              Effect: 'Deny',
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/rekey-SecretRotationFunctionRole` },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Resource: '*',
            },
          ],
        }),
      }),
    );
    const underKey = async (keyArn: string | undefined) => {
      const { ARN } = await harness.sm.send(
        new CreateSecretCommand({
          Name: `iam/cmk-${randomUUID().slice(0, 8)}`,
          SecretString: 'initial-key-0001',
          KmsKeyId: keyArn,
        }),
      );
      return ARN ?? '';
    };

    const ok = await harness.rotate(await underKey(usable.KeyMetadata?.Arn));
    expect(ok.failure).toBeUndefined();

    const refusedArn = await underKey(denied.KeyMetadata?.Arn);
    const refused = await harness.rotate(refusedArn);
    expect(refused.failure).toMatchObject({ step: 'createSecret', errorType: 'AccessDeniedException' });
    expect(refused.failure?.message).toContain(
      `not authorized to perform: kms:Decrypt on resource: ${denied.KeyMetadata?.Arn} with an explicit deny in a resource-based policy`,
    );
    const log = await readRotationLog(harness.endpoint.url, refusedArn);
    expect(log.some((e) => e.outcome === 'succeeded' && e.step === 'finishSecret')).toBe(false);
  });
});
