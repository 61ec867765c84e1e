/**
 * The typed admin client against the local endpoint: each route's function sends what the
 * route reads and returns what it answers; a refusal is an AdminRouteError with the route, the
 * status and AWS's error type.
 */
import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdminRouteError,
  type AdminTarget,
  adminUrl,
  bulkSeedCertificates,
  health,
  readCalls,
  readCertificateCalls,
  readEvents,
  readRotationLog,
  seedCertificate,
  setCertificateState,
  throttleCertificates,
} from '../../../local/core/admin-client.js';
import { type LocalEndpoint, startLocalEndpoint } from '../../../local/endpoint.js';

const ACCOUNT = '777788889999';
const REGION = 'eu-central-1';
const DAY_MS = 86_400_000;

let endpoint: LocalEndpoint;
let admin: AdminTarget;
let acm: ACMClient;

beforeAll(async () => {
  endpoint = await startLocalEndpoint({ registerDefaultFunctions: false });
  admin = { endpointUrl: endpoint.url, region: REGION, account: ACCOUNT };
  acm = new ACMClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  acm.destroy();
  await endpoint.close();
});

describe('the typed admin client', () => {
  it('builds route URLs with the account and Region as query parameters', () => {
    expect(
      adminUrl({ endpointUrl: 'http://127.0.0.1:4566/', region: 'eu-west-1', account: '1' }, 'calls'),
    ).toBe('http://127.0.0.1:4566/_rekey/calls?region=eu-west-1&account=1');
    expect(adminUrl({ endpointUrl: 'http://127.0.0.1:4566' }, 'health')).toBe(
      'http://127.0.0.1:4566/_rekey/health',
    );
  });

  it('health answers ok', async () => {
    expect(await health({ endpointUrl: endpoint.url })).toEqual({ ok: true });
  });

  it('seeds certificates in the account and Region of the target, then changes their state', async () => {
    const notAfter = new Date(Date.now() + 20 * DAY_MS);
    const arn = await seedCertificate(admin, {
      type: 'AMAZON_ISSUED',
      domainName: 'typed.example',
      notAfter,
    });
    expect(arn).toMatch(new RegExp(`^arn:aws:acm:${REGION}:${ACCOUNT}:certificate/`));

    expect(await setCertificateState(admin, { CertificateArn: arn, renewalStatus: 'FAILED' })).toBe(arn);
    const described = await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
    expect(described.Certificate?.DomainName).toBe('typed.example');
    expect(described.Certificate?.RenewalSummary?.RenewalStatus).toBe('FAILED');

    const bulk = await bulkSeedCertificates(admin, 3, {
      type: 'PRIVATE',
      domainName: 'n{n}.typed.corp',
      notAfter,
    });
    expect(bulk).toHaveLength(3);
    const names = await Promise.all(
      bulk.map(
        async (a) =>
          (await acm.send(new DescribeCertificateCommand({ CertificateArn: a }))).Certificate?.DomainName,
      ),
    );
    expect(names).toEqual(['n1.typed.corp', 'n2.typed.corp', 'n3.typed.corp']);
  });

  it('sets ACM throttling and reads the ACM call counts', async () => {
    expect(await throttleCertificates(admin, 'DescribeCertificate', 7)).toMatchObject({
      DescribeCertificate: 7,
    });
    expect(await throttleCertificates(admin, 'DescribeCertificate', undefined)).not.toHaveProperty(
      'DescribeCertificate',
    );
    await readCertificateCalls(admin, { reset: true });
    const arn = await seedCertificate(admin, {
      type: 'AMAZON_ISSUED',
      domainName: 'counted.example',
      notAfter: new Date(Date.now() + 90 * DAY_MS).toISOString(),
    });
    await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
    const calls = await readCertificateCalls(admin);
    expect(calls.Calls.DescribeCertificate).toBe(1);
    expect(calls.ByRegion[REGION]?.DescribeCertificate).toBe(1);
  });

  it('reads the AWS calls the endpoint counted, and starts afresh with reset', async () => {
    await readCalls(admin, { reset: true });
    const sm = new SecretsManagerClient({
      endpoint: endpoint.url,
      region: REGION,
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'local' },
    });
    await sm.send(new CreateSecretCommand({ Name: 'typed/counted', SecretString: 'x' }));
    sm.destroy();
    expect(await readCalls(admin, { reset: true })).toMatchObject({ 'secretsmanager.CreateSecret': 1 });
    expect(await readCalls(admin)).toEqual({});

    const log = await readRotationLog(admin, 'typed/counted');
    expect(log).toMatchObject({ name: 'typed/counted', inProgress: false, entries: [] });
  });

  it('reads a bus that does not exist as empty, and says so', async () => {
    expect(await readEvents(admin, { eventBusName: 'no-such-bus' })).toEqual({
      eventBusName: 'no-such-bus',
      busExists: false,
      events: [],
      dropped: [],
    });
  });

  it('turns a refusal into an AdminRouteError with the route, the status and the error type', async () => {
    const refused = await readRotationLog(admin, 'typed/missing').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AdminRouteError);
    expect(refused).toMatchObject({
      route: '/_rekey/secretsmanager/rotations',
      type: 'ResourceNotFoundException',
    });
    expect((refused as AdminRouteError).status).toBeGreaterThanOrEqual(400);
  });
});
