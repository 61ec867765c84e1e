/**
 * AWS's documented request quotas on the local endpoint (`quotas: true`, what `rekey local` does
 * by default): ThrottlingException beyond them, shared buckets for combined quotas, per account
 * and Region, and none with quotas off. Needs this endpoint's start options: local only.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/certificate-expiry/clients.js';
import { sweepRegion } from '../../../functions/certificate-expiry/sweep.js';
import { bulkSeedCertificates } from '../../../local/core/admin-client.js';
import { Quotas, quotaOf } from '../../../local/quotas.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';

let limited: TestEndpoint;
let unlimited: TestEndpoint;
const clients: SecretsManagerClient[] = [];

beforeAll(async () => {
  limited = await startTestEndpoint({ quotas: true });
  unlimited = await startTestEndpoint();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await limited?.close();
  await unlimited?.close();
});

const clientFor = (endpoint: TestEndpoint, account: string, maxAttempts = 1) => {
  const c = new SecretsManagerClient({
    endpoint: endpoint.url,
    region: 'us-west-2',
    credentials: { accessKeyId: account, secretAccessKey: 'x' },
    maxAttempts,
  });
  clients.push(c);
  return c;
};

const outcomes = async (calls: Array<Promise<unknown>>) => {
  const settled = await Promise.allSettled(calls);
  return {
    ok: settled.filter((s) => s.status === 'fulfilled').length,
    throttled: settled.filter(
      (s) => s.status === 'rejected' && (s.reason as Error).name === 'ThrottlingException',
    ).length,
    other: settled.filter(
      (s) => s.status === 'rejected' && (s.reason as Error).name !== 'ThrottlingException',
    ),
  };
};

describe('quotas', () => {
  it('answers writes beyond 50 per second with ThrottlingException on the wire, per account', async () => {
    expect(quotaOf('secretsmanager', 'PutSecretValue')).toBe(50);
    const sm = clientFor(limited, '510000000001');
    const { ARN } = await sm.send(new CreateSecretCommand({ Name: `q/${randomUUID()}`, SecretString: 'v0' }));
    const started = performance.now();
    const burst = await outcomes(
      Array.from({ length: 120 }, (_, i) =>
        sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: `v${i + 1}` })),
      ),
    );
    // One second's worth, plus what the bucket refilled while the burst was being served.
    const refill = Math.ceil(((performance.now() - started) / 1000) * 50);
    expect(burst.other).toEqual([]);
    expect(burst.ok).toBeGreaterThanOrEqual(50);
    expect(burst.ok).toBeLessThanOrEqual(50 + refill);
    expect(burst.throttled).toBe(120 - burst.ok);
    // Another account has its own quota.
    const other = clientFor(limited, '510000000002');
    await expect(
      other.send(new CreateSecretCommand({ Name: `q/${randomUUID()}`, SecretString: 'x' })),
    ).resolves.toBeDefined();
  });

  it('shares one bucket between the operations of a combined quota, per account and Region', () => {
    let now = 0;
    const quotas = new Quotas(() => now);
    for (let i = 0; i < 50; i++)
      quotas.take('secretsmanager', i % 2 ? 'PutSecretValue' : 'UpdateSecretVersionStage', 'A', 'r');
    expect(() => quotas.take('secretsmanager', 'UpdateSecret', 'A', 'r')).toThrow(/Rate exceeded/);
    // Other quotas, accounts and Regions are untouched.
    expect(() => quotas.take('secretsmanager', 'GetSecretValue', 'A', 'r')).not.toThrow();
    expect(() => quotas.take('secretsmanager', 'PutSecretValue', 'B', 'r')).not.toThrow();
    expect(() => quotas.take('secretsmanager', 'PutSecretValue', 'A', 'other')).not.toThrow();
    // A tenth of a second refills five requests' worth.
    now += 100;
    for (let i = 0; i < 5; i++) quotas.take('secretsmanager', 'PutSecretValue', 'A', 'r');
    expect(() => quotas.take('secretsmanager', 'PutSecretValue', 'A', 'r')).toThrow(
      /ThrottlingException|Rate exceeded/,
    );
    expect(quotaOf('CertificateManager', 'DescribeCertificate')).toBe(10);
  });

  it('lets the SDK standard retry pace a burst through: every write lands', async () => {
    const sm = clientFor(limited, '510000000003', 10);
    const { ARN } = await sm.send(new CreateSecretCommand({ Name: `q/${randomUUID()}`, SecretString: 'v0' }));
    const writes = await outcomes(
      Array.from({ length: 90 }, (_, i) =>
        sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: `paced-${i}` })),
      ),
    );
    expect(writes).toEqual({ ok: 90, throttled: 0, other: [] });
  });

  it('throttles nothing with quotas off', async () => {
    const sm = clientFor(unlimited, '510000000004');
    const { ARN } = await sm.send(new CreateSecretCommand({ Name: `q/${randomUUID()}`, SecretString: 'v0' }));
    const burst = await outcomes(
      Array.from({ length: 80 }, (_, i) =>
        sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: `v${i}` })),
      ),
    );
    expect(burst).toEqual({ ok: 80, throttled: 0, other: [] });
  });
});

describe('pacing under the documented quotas', () => {
  it('the certificate sweep examines every certificate although DescribeCertificate is limited to 10 per second', async () => {
    const account = '510000000005';
    const region = 'eu-west-2';
    const seeded = await bulkSeedCertificates({ endpointUrl: limited.url, region, account }, 40, {
      type: 'AMAZON_ISSUED',
      domainName: 'paced-{n}.example.com',
      notAfter: new Date(Date.now() + 20 * 86_400_000),
      inUseBy: ['arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE'],
    });
    expect(seeded).toHaveLength(40);
    const clients = createClients({
      endpoint: limited.url,
      credentials: { accessKeyId: account, secretAccessKey: 'local' },
      homeRegion: region,
    });
    const sweep = await sweepRegion(region, {
      clients,
      now: new Date(),
      thresholds: [30],
      dryRun: true,
      // Eight in flight: more than the quota allows, so the sweep must back off and retry.
      concurrency: 8,
    });
    expect(sweep.listed).toBe(40);
    expect(sweep.examined).toHaveLength(40);
    // Retries happened: more requests than certificates (a ListCertificates page plus 40 describes).
    expect(sweep.acmCalls).toBeGreaterThan(41);
  }, 60_000);
});
