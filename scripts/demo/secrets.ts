/** Demo part 1: a generated secret rotated twice by the project's rotation function. */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { rotationSucceeded } from '../../local/rotation-wait.js';
import { DEMO_ACCOUNT, DEMO_REGION, heading, localClientConfig, printLabels } from './common.js';

export const demoGeneratedSecret = async (endpoint: string): Promise<void> => {
  heading('Secrets Manager: a generated API key, rotated twice with RotateSecret');
  const client = new SecretsManagerClient(localClientConfig(endpoint));
  const name = `rekey-demo/api-key-${Date.now()}`;
  const functionArn = `arn:aws:lambda:${DEMO_REGION}:${DEMO_ACCOUNT}:function:rekey-secret-rotation`;
  try {
    const created = await client.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: JSON.stringify({ client_id: 'demo-app', password: 'initial-value-set-by-hand' }),
        Tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
      }),
    );
    const arn = created.ARN ?? name;
    console.log(`  created ${arn}`);
    await printLabels(client, arn, 'before');
    for (const round of [1, 2]) {
      const started = await client.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotationLambdaARN: functionArn,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
      // RotateSecret answers before the steps run, as on AWS: wait for them (bounded).
      await rotationSucceeded({
        sm: client,
        secretId: arn,
        token: started.VersionId,
        local: { endpointUrl: endpoint, region: DEMO_REGION, account: DEMO_ACCOUNT },
      });
      const described = await client.send(new DescribeSecretCommand({ SecretId: arn }));
      const pending = Object.values(described.VersionIdsToStages ?? {}).some(
        (stages) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'),
      );
      if (pending) throw new Error(`rotation ${round} of ${arn} did not finish: AWSPENDING is left behind`);
      await printLabels(client, arn, `after rotation ${round}`);
    }
    console.log(
      '  values are shown as a digest only; AWSCURRENT changed twice, AWSPREVIOUS keeps the last one',
    );
  } finally {
    // The secret stays (the endpoint's state is in memory): `rekey status` reports on it at the end.
    client.destroy();
  }
};
