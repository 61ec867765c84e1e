/**
 * The sweep at scale on the local endpoint: ACM calls counted by the endpoint for 2,500
 * certificates, pagination past 1,000, DescribeCertificate throttling, and the state machine
 * sweeping three Regions through the local Step Functions harness.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/certificate-expiry/handler.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { runStateMachine } from '../../helpers/state-machine.js';
import { DAY, newAccount, now, type TestAccount } from './env.js';

interface CallReport {
  Calls: Record<string, number>;
  Throttled: Record<string, number>;
}

let endpoint: TestEndpoint;

beforeAll(async () => {
  endpoint = await startTestEndpoint();
});

afterAll(async () => {
  await endpoint?.close();
});

const resetCalls = (t: TestAccount) => t.admin().readCertificateCalls({ reset: true });
const calls = (t: TestAccount) => t.admin().readCertificateCalls();
const total = (report: CallReport) => Object.values(report.Calls).reduce((a, b) => a + b, 0);

/** Seeds `count` healthy certificates (a year from expiry) without materialising them. */
const bulkSeed = (t: TestAccount, count: number, keyAlgorithm: string, region = 'us-east-1') =>
  t.admin(region).bulkSeedCertificates(count, {
    type: 'AMAZON_ISSUED',
    keyAlgorithm,
    domainName: `bulk{n}-${keyAlgorithm.toLowerCase()}.rekey.example`,
    notAfter: new Date(now(endpoint).getTime() + 365 * DAY).toISOString(),
    inUseBy: ['arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL'],
  });

describe('certificate sweep at scale', () => {
  it('sweeps 2,500 certificates with nothing due in at most 3 ACM calls, and finds the one due past page 2', async () => {
    // Prepare: 2,500 healthy certificates of two key types (ECDSA is not listed by default).
    const t = await newAccount(endpoint);
    await bulkSeed(t, 1500, 'RSA_2048');
    await bulkSeed(t, 1000, 'EC_prime256v1');
    await resetCalls(t);

    // Act
    const quiet = await t.sweep();

    // Assess
    const quietCalls = await calls(t);
    expect(quiet).toMatchObject({ listed: 2500, candidates: 0, examined: [] });
    expect(total(quietCalls)).toBeLessThanOrEqual(3);
    expect(quietCalls.Calls).toEqual({ ListCertificates: 3 });
    expect(quiet.acmCalls).toBe(3);

    // One more certificate, an ECDSA P-384 one 6 days from expiry, listed after the 2,500.
    const due = await t.seed(6.5, { keyAlgorithm: 'EC_secp384r1' });
    await resetCalls(t);
    const sweep = await t.sweep();
    expect(sweep.listed).toBe(2501);
    expect(sweep.examined.map((e) => [e.finding.certificateArn, e.finding.threshold])).toEqual([[due, 7]]);
    expect((await calls(t)).Calls).toEqual({
      ListCertificates: 3,
      DescribeCertificate: 1,
      ListTagsForCertificate: 1,
      AddTagsToCertificate: 1,
    });
  });

  it('handles ThrottlingException on DescribeCertificate with backoff and examines every certificate', async () => {
    // Prepare: 12 certificates due, DescribeCertificate limited to 3 per second (AWS: 10).
    const t = await newAccount(endpoint);
    const due = [];
    for (let i = 0; i < 12; i++) due.push(await t.seed(3.5 + i));
    await t.admin().throttleCertificates('DescribeCertificate', 3);
    await resetCalls(t);

    try {
      // Act
      const sweep = await t.sweep('us-east-1', {
        concurrency: 4,
        backoff: { baseMs: 100, maxMs: 2000, attempts: 10 },
      });

      // Assess
      const report = await calls(t);
      expect(report.Throttled.DescribeCertificate ?? 0).toBeGreaterThan(0);
      expect(sweep.examined.map((e) => e.finding.certificateArn).sort()).toEqual([...due].sort());
      expect(new Set((await t.findings()).map((f) => f.certificateArn))).toEqual(new Set(due));
    } finally {
      await t.admin().throttleCertificates('DescribeCertificate', undefined);
    }
  });

  it('runs the sweep state machine over three Regions and summarises them', async () => {
    // Prepare: one due certificate per Region, and healthy ones around them.
    const t = await newAccount(endpoint);
    const east = await t.seed(20, {}, 'us-east-1');
    const west = await t.seed(-1, {}, 'eu-west-1');
    const south = await t.importCertificate(2.5, { keyAlgorithm: 'EC_prime256v1', region: 'ap-southeast-2' });
    await bulkSeed(t, 30, 'RSA_2048', 'eu-west-1');
    await bulkSeed(t, 20, 'EC_prime256v1', 'ap-southeast-2');
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:rekey-certificate-expiry';
    const handler = createHandler({
      clients: t.clients,
      settings: () => ({
        busName: t.bus,
        regions: ['us-east-1'],
        thresholds: [45, 30, 14, 7, 3, 1],
        concurrency: 4,
        homeRegion: 'us-east-1',
      }),
      now: () => now(endpoint),
    });

    // Act
    const run = await runStateMachine({
      aslPath: 'statemachines/certificate-sweep.asl.json',
      substitutions: { CertificateExpiryFunctionArn: fn },
      tasks: { [fn]: handler },
      input: { regions: ['eu-west-1', 'ap-southeast-2'] },
    });

    // Assess
    expect(run.error).toBeUndefined();
    expect(run.output).toMatchObject({
      regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
      failedRegions: [],
      listed: 53,
      findings: 3,
      alerted: 3,
      byClass: { MANAGED_RENEWAL_PENDING: 1, EXPIRED: 1, IMPORTED: 1 },
    });
    const findings = await t.findings();
    expect(findings.map((f) => [f.region, f.certificateArn]).sort()).toEqual(
      [
        ['us-east-1', east],
        ['eu-west-1', west],
        ['ap-southeast-2', south],
      ].sort(),
    );

    // A second execution publishes nothing new.
    const again = await runStateMachine({
      aslPath: 'statemachines/certificate-sweep.asl.json',
      substitutions: { CertificateExpiryFunctionArn: fn },
      tasks: { [fn]: handler },
      input: { regions: ['eu-west-1', 'ap-southeast-2'] },
    });
    expect(again.output).toMatchObject({ findings: 3, alerted: 0 });
    expect(await t.findings()).toHaveLength(3);
  });
});
