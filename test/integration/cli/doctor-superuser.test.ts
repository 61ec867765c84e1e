/**
 * `rekey doctor` warns when an alternating-users secret's superuser secret lacks the tag the
 * deployed rotation role requires (rekey:superuser=true), with the command that adds it, and
 * stops warning once the tag is there.
 */
import { randomInt, randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportClients } from '../../../cli/report/clients.js';
import { diagnose } from '../../../cli/report/diagnose.js';
import { type LocalEndpoint, startLocalEndpoint } from '../../../local/endpoint.js';

const REGION = 'us-east-1';
const ACCOUNT = String(randomInt(100_000_000_000, 999_999_999_999));

let endpoint: LocalEndpoint;
let sm: SecretsManagerClient;
beforeAll(async () => {
  endpoint = await startLocalEndpoint({ registerDefaultFunctions: false });
  // A function that never runs: RotateSecret only needs one to name.
  endpoint.lambdas.register('rekey-secret-rotation', async () => null);
  sm = new SecretsManagerClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  await endpoint?.close();
});

const untagged = async () => {
  const clients = createReportClients({
    env: { AWS_ACCESS_KEY_ID: ACCOUNT, AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: REGION },
    endpoint: endpoint.url,
  });
  const report = await diagnose(clients, { regions: [REGION], gracePeriodDays: 7, thresholds: [30] });
  return report.problems.filter((p) => p.kind === 'superuser-secret-untagged');
};

describe('rekey doctor and superuser secrets', () => {
  it('flags an alternating-users secret whose superuser secret lacks rekey:superuser=true, with the fix', async () => {
    const master = await sm.send(
      new CreateSecretCommand({
        Name: `doctor/master-${randomUUID().slice(0, 8)}`,
        SecretString: JSON.stringify({ engine: 'postgres', username: 'postgres', password: 'pw-0123456789' }),
      }),
    );
    const user = await sm.send(
      new CreateSecretCommand({
        Name: `doctor/app-${randomUUID().slice(0, 8)}`,
        SecretString: JSON.stringify({
          engine: 'postgres',
          username: 'app',
          password: 'pw-abcdefghij',
          masterarn: master.ARN,
        }),
      }),
    );
    await sm.send(
      new RotateSecretCommand({
        SecretId: user.ARN,
        RotationLambdaARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-secret-rotation`,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );

    const found = await untagged();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ resourceArn: user.ARN, safe: false });
    expect(found[0]?.description).toContain(`${master.ARN} has no tag rekey:superuser=true`);
    expect(found[0]?.fix).toEqual([
      `aws secretsmanager tag-resource --region ${REGION} --secret-id ${master.ARN} --tags Key=rekey:superuser,Value=true`,
    ]);
    expect(JSON.stringify(found)).not.toContain('pw-');

    await sm.send(
      new TagResourceCommand({ SecretId: master.ARN, Tags: [{ Key: 'rekey:superuser', Value: 'true' }] }),
    );
    expect(await untagged()).toEqual([]);
  });
});
