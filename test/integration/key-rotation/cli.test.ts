/**
 * `rekey rotate-key ALIAS --endpoint-url URL`: the command a user runs against `rekey local`,
 * with the same state machine and handler as the deployed workflow.
 */
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from '../../../cli/rotate-key.js';
import { DEFAULT_ACCOUNT_ID } from '../../../local/server.js';
import { captureIo } from '../../helpers/cli-io.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { aliasName } from './helpers.js';

const REGION = 'sa-east-1';
let endpoint: TestEndpoint;
let kms: KMSClient;

beforeAll(async () => {
  endpoint = await startTestEndpoint({ defaultFunctions: true });
  // The command acts as the endpoint's default account when no 12-digit access key is set.
  kms = new KMSClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: DEFAULT_ACCOUNT_ID, secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  await endpoint.close();
});

it('rotates the key behind an alias and prints the chain', async () => {
  const alias = aliasName('cli');
  const key = await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_3072', KeyUsage: 'SIGN_VERIFY' }));
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyMetadata?.KeyId }));
  const printed = captureIo();

  const code = await run(
    [
      alias,
      '--endpoint-url',
      endpoint.url,
      '--region',
      REGION,
      '--force',
      '--grace-seconds',
      '0',
      '--retention-seconds',
      '0',
    ],
    printed.io,
  );

  expect(printed.stderr).toContain('Swap Alias');
  expect(code).toBe(0);
  const successor = (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata;
  expect(successor?.KeyId).not.toBe(key.KeyMetadata?.KeyId);
  expect(printed.stdout).toContain(`${alias}: ${key.KeyMetadata?.Arn}\n  -> ${successor?.Arn}`);
  expect(printed.stdout).toMatch(/old key in sa-east-1 disabled, deletion scheduled for \d{4}-/);
});

it('says when the key is not due, and changes nothing', async () => {
  const alias = aliasName('cli-due');
  const key = await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_384', KeyUsage: 'GENERATE_VERIFY_MAC' }));
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyMetadata?.KeyId }));
  const printed = captureIo();

  const code = await run(
    [alias, '--endpoint-url', endpoint.url, '--region', REGION, '--output', 'json'],
    printed.io,
  );

  expect(code).toBe(0);
  expect(JSON.parse(printed.stdout)).toMatchObject({ output: { plan: { due: false } } });
  expect((await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.KeyId).toBe(
    key.KeyMetadata?.KeyId,
  );
});

it('fails with exit code 1 and the reason for an alias that does not exist', async () => {
  const printed = captureIo();

  const code = await run(
    ['alias/nobody-home', '--endpoint-url', endpoint.url, '--region', REGION],
    printed.io,
  );

  expect(code).toBe(1);
  expect(printed.stdout).toContain(
    'Rotation failed: AliasNotFoundError: Alias alias/nobody-home does not exist',
  );
});
