/** Shared bits of the `npm start` demo: SDK client settings for the local endpoint and masking. */
import { createHmac, randomBytes } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';

export const DEMO_REGION = 'us-east-1';
export const DEMO_ACCOUNT = '123456789012';

/** SDK client configuration for the local endpoint: any credentials, the account as access key id. */
export const localClientConfig = (endpoint: string, region = DEMO_REGION) => ({
  endpoint,
  region,
  credentials: { accessKeyId: DEMO_ACCOUNT, secretAccessKey: 'local' },
});

/** Key of this run only: fingerprints can be compared within the demo but are no oracle for a value. */
const FINGERPRINT_KEY = randomBytes(32);

/** A value's fingerprint for the demo output: never the value, a keyed digest that shows it changed. */
export const mask = (value: string): string =>
  `****${createHmac('sha256', FINGERPRINT_KEY).update(value).digest('hex').slice(0, 8)} (${value.length} chars)`;

/** A section heading line of the demo's output, with the blank line before it. */
export const headingText = (text: string): string =>
  `\n== ${text} ${'='.repeat(Math.max(0, 74 - text.length))}`;

export const heading = (text: string): void => {
  console.log(headingText(text));
};

/** Prints each version of a secret with its staging labels and a masked value. */
export const printLabels = async (client: SecretsManagerClient, secretId: string, title: string) => {
  const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  console.log(`  ${title}:`);
  const entries = Object.entries(described.VersionIdsToStages ?? {});
  for (const [versionId, stages] of entries) {
    let shown = '(no value)';
    try {
      const value = await client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }),
      );
      shown = mask(value.SecretString ?? '');
    } catch {
      // The rotation placeholder has no value yet.
    }
    console.log(`    ${versionId}  ${stages.join(',').padEnd(24)} ${shown}`);
  }
};
