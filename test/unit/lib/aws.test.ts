import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  awsClient,
  awsClientBeside,
  clientsPerRegion,
  DEFAULT_REGION,
  RETRY_POLICY,
  resolveRegion,
} from '../../../functions/lib/aws.js';

describe('resolveRegion', () => {
  it('prefers AWS_REGION, then AWS_DEFAULT_REGION, then the default', () => {
    expect(resolveRegion({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' })).toBe('eu-west-1');
    expect(resolveRegion({ AWS_DEFAULT_REGION: 'us-west-2' })).toBe('us-west-2');
    expect(resolveRegion({})).toBe(DEFAULT_REGION);
  });

  it('treats an empty or blank variable as unset', () => {
    expect(resolveRegion({ AWS_REGION: '', AWS_DEFAULT_REGION: 'us-west-2' })).toBe('us-west-2');
    expect(resolveRegion({ AWS_REGION: '  ', AWS_DEFAULT_REGION: '' })).toBe(DEFAULT_REGION);
  });
});

describe('awsClient', () => {
  const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' };

  it('builds each client once per class, Region, endpoint and credentials', () => {
    const a = awsClient(SecretsManagerClient, {
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:1',
      credentials,
    });
    expect(
      awsClient(SecretsManagerClient, { region: 'eu-west-1', endpoint: 'http://127.0.0.1:1', credentials }),
    ).toBe(a);
    expect(
      awsClient(SecretsManagerClient, { region: 'eu-west-2', endpoint: 'http://127.0.0.1:1', credentials }),
    ).not.toBe(a);
    expect(
      awsClient(SecretsManagerClient, { region: 'eu-west-1', endpoint: 'http://127.0.0.1:2', credentials }),
    ).not.toBe(a);
    expect(
      awsClient(SecretsManagerClient, {
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:1',
        credentials: { ...credentials },
      }),
    ).not.toBe(a);
    expect(
      awsClient(KMSClient, { region: 'eu-west-1', endpoint: 'http://127.0.0.1:1', credentials }),
    ).toBeInstanceOf(KMSClient);
  });

  it('gives every client the one retry policy and the resolved Region', async () => {
    const client = awsClient(KMSClient, { region: 'ap-south-1', credentials });
    expect(await client.config.region()).toBe('ap-south-1');
    expect(await client.config.maxAttempts()).toBe(RETRY_POLICY.maxAttempts);
    expect(await client.config.retryStrategy()).toMatchObject({ mode: 'standard' });
  });

  it('serves a Region look-up from the same cache', async () => {
    const kms = clientsPerRegion(KMSClient, { endpoint: 'http://127.0.0.1:3', credentials });
    expect(kms('us-west-2')).toBe(kms('us-west-2'));
    expect(await kms('us-west-1').config.region()).toBe('us-west-1');
  });

  it('builds a client beside another: same Region, endpoint and credentials unless overridden', async () => {
    const sm = awsClient(SecretsManagerClient, {
      region: 'eu-central-1',
      endpoint: 'http://127.0.0.1:4/',
      credentials,
    });
    const iam = await awsClientBeside(IAMClient, sm);
    expect(await iam.config.region()).toBe('eu-central-1');
    expect(await iam.config.endpoint?.()).toMatchObject({
      hostname: '127.0.0.1',
      port: 4,
      protocol: 'http:',
    });
    expect((await iam.config.credentials()).accessKeyId).toBe('AKIDTEST');
    expect(await awsClientBeside(IAMClient, sm)).toBe(iam);
    const other = { accessKeyId: 'AKIDOTHER', secretAccessKey: 'y' };
    const withKey = await awsClientBeside(IAMClient, sm, { credentials: other });
    expect((await withKey.config.credentials()).accessKeyId).toBe('AKIDOTHER');
  });
});
