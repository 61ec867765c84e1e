import { describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/certificate-expiry/clients.js';
import {
  handleAcmEvent,
  type SweepOptions,
  sweepRegion,
} from '../../../functions/certificate-expiry/sweep.js';
import { DEFAULT_THRESHOLDS } from '../../../functions/certificate-expiry/thresholds.js';
import { DAY, FakeAcm, NOW } from './fake-acm.js';

const options = (overrides: Partial<SweepOptions> = {}): SweepOptions => ({
  clients: createClients({
    homeRegion: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  }),
  now: NOW,
  thresholds: DEFAULT_THRESHOLDS,
  busName: 'rekey-findings',
  backoff: { sleep: async () => {} },
  ...overrides,
});

describe('sweepRegion', () => {
  it('takes 3 ACM calls for 2,500 certificates when nothing is due', async () => {
    const acm = new FakeAcm();
    for (let i = 0; i < 2500; i++) acm.add(100 + (i % 200));

    const sweep = await sweepRegion('us-east-1', options());

    expect(sweep).toMatchObject({ listed: 2500, candidates: 0, acmCalls: 3, examined: [] });
    expect(acm.calls).toEqual(['ListCertificates', 'ListCertificates', 'ListCertificates']);
    expect(acm.published).toEqual([]);
  });

  it('describes only the certificates that are due, and alerts each once at its threshold', async () => {
    const acm = new FakeAcm();
    for (let i = 0; i < 50; i++) acm.add(200);
    const soon = acm.add(10, { Type: 'IMPORTED', RenewalEligibility: 'INELIGIBLE' });
    const expired = acm.add(-3);

    const sweep = await sweepRegion('us-east-1', options());

    expect(acm.count('DescribeCertificate')).toBe(2);
    expect(sweep.examined.map((e) => [e.finding.certificateArn, e.finding.findingClass, e.alerted])).toEqual([
      [soon, 'IMPORTED', true],
      [expired, 'EXPIRED', true],
    ]);
    expect(acm.published).toHaveLength(2);
    expect(acm.published[0]).toMatchObject({
      Source: 'rekey',
      DetailType: 'Certificate Expiry Finding',
      EventBusName: 'rekey-findings',
      Resources: [soon],
    });
    expect(acm.findings()[0]).toMatchObject({
      certificateArn: soon,
      threshold: 14,
      daysToExpiry: 10,
      region: 'us-east-1',
    });
    expect(acm.get(soon).tags.get('rekey:alerted-threshold')).toBe('14');
    expect(acm.get(soon).tags.get('rekey:alerted-not-after')).toBe(
      new Date(NOW.getTime() + 10 * DAY).toISOString(),
    );
  });

  it('does not alert again on a second sweep, but does at the next threshold and after a renewal', async () => {
    const acm = new FakeAcm();
    const arn = acm.add(20);

    await sweepRegion('us-east-1', options());
    await sweepRegion('us-east-1', options({ now: new Date(NOW.getTime() + DAY) }));
    expect(acm.findings().map((f) => f.threshold)).toEqual([30]);

    // Crosses 14 days: a new alert.
    await sweepRegion('us-east-1', options({ now: new Date(NOW.getTime() + 6.5 * DAY) }));
    expect(acm.findings().map((f) => f.threshold)).toEqual([30, 14]);

    // Renewed: new NotAfter 40 days out from a later now; the thresholds start over.
    const later = new Date(NOW.getTime() + 10 * DAY);
    acm.get(arn).detail.NotAfter = new Date(later.getTime() + 40 * DAY);
    await sweepRegion('us-east-1', options({ now: later }));
    expect(acm.findings().map((f) => f.threshold)).toEqual([30, 14, 45]);
  });

  it('handles ThrottlingException on DescribeCertificate with backoff', async () => {
    const acm = new FakeAcm();
    acm.add(5);
    acm.add(6);
    acm.throttleDescribes = 3;
    const delays: number[] = [];

    const sweep = await sweepRegion(
      'us-east-1',
      options({ concurrency: 1, backoff: { sleep: async (ms) => void delays.push(ms), random: () => 0.5 } }),
    );

    expect(sweep.examined).toHaveLength(2);
    expect(acm.count('DescribeCertificate')).toBe(5);
    expect(delays).toEqual([50, 100, 200]);
    expect(acm.published).toHaveLength(2);
  });

  it('requests renewal of eligible private certificates and says so in the finding', async () => {
    const acm = new FakeAcm();
    const arn = acm.add(12, { Type: 'PRIVATE', InUseBy: [] });

    const sweep = await sweepRegion('us-east-1', options());

    expect(acm.count('RenewCertificate')).toBe(1);
    expect(sweep.examined[0]?.finding).toMatchObject({
      certificateArn: arn,
      findingClass: 'PRIVATE_RENEWAL',
      renewalAttempted: true,
      renewalResult: 'RENEWAL_REQUESTED',
    });
    // One story: rekey requested the renewal, so the reader is not also told to renew it now;
    // what is left to do is the redeploy, with its deadline.
    const action = sweep.examined[0]?.finding.action ?? '';
    expect(action).toMatch(/^rekey asked ACM to renew it/);
    expect(action).not.toMatch(/renew it now/i);
    expect(action).toMatch(/redeploy it wherever it was exported, before \d{4}-\d{2}-\d{2}T/);
  });

  it('reports findings without publishing or tagging when no bus is configured', async () => {
    const acm = new FakeAcm();
    const arn = acm.add(2);
    const sweep = await sweepRegion('us-east-1', options({ busName: undefined }));
    expect(sweep.examined[0]).toMatchObject({ alertDue: true, alerted: false });
    expect(acm.published).toEqual([]);
    expect(acm.get(arn).tags.size).toBe(0);
  });

  it('changes nothing in a dry run', async () => {
    const acm = new FakeAcm();
    acm.add(2, { Type: 'PRIVATE' });
    await sweepRegion('us-east-1', options({ dryRun: true }));
    expect(acm.calls).not.toContain('RenewCertificate');
    expect(acm.calls).not.toContain('AddTagsToCertificate');
    expect(acm.published).toEqual([]);
  });
});

describe('handleAcmEvent', () => {
  const event = (
    arn: string,
    detailType: 'ACM Certificate Approaching Expiration' | 'ACM Certificate Renewal Action Required',
  ) => ({
    detailType,
    certificateArn: arn,
    region: 'us-east-1',
    account: '123456789012',
    time: NOW.toISOString(),
    daysToExpiry: 31,
    commonName: null,
    renewalStatusReason: null,
  });

  it('alerts once for daily Approaching Expiration events at the same threshold', async () => {
    const acm = new FakeAcm();
    const arn = acm.add(31);
    const first = await handleAcmEvent(event(arn, 'ACM Certificate Approaching Expiration'), options());
    const second = await handleAcmEvent(event(arn, 'ACM Certificate Approaching Expiration'), options());
    expect(first.outcome).toBe('ALERTED');
    expect(second.outcome).toBe('ALREADY_ALERTED');
    expect(acm.findings()).toEqual([
      expect.objectContaining({ certificateArn: arn, threshold: 45, trigger: 'ACM_EVENT' }),
    ]);
  });

  it('does not announce an Approaching Expiration event outside the configured thresholds', async () => {
    const acm = new FakeAcm();
    const arn = acm.add(31);
    const result = await handleAcmEvent(
      event(arn, 'ACM Certificate Approaching Expiration'),
      options({ thresholds: [14, 7] }),
    );
    expect(result.outcome).toBe('NOT_DUE');
    expect(acm.published).toEqual([]);
  });

  it('announces Renewal Action Required even before the first threshold, with threshold null', async () => {
    const acm = new FakeAcm();
    const arn = acm.add(31, {
      RenewalSummary: { RenewalStatus: 'PENDING_VALIDATION', UpdatedAt: NOW, DomainValidationOptions: [] },
    });
    const result = await handleAcmEvent(
      event(arn, 'ACM Certificate Renewal Action Required'),
      options({ thresholds: [14] }),
    );
    expect(result.outcome).toBe('ALERTED');
    expect(acm.findings()[0]).toMatchObject({ threshold: null, findingClass: 'RENEWAL_PENDING_VALIDATION' });
    expect(acm.get(arn).tags.get('rekey:alerted-threshold')).toBe('none');
  });

  it('reports a certificate deleted since the event', async () => {
    new FakeAcm();
    const result = await handleAcmEvent(
      event('arn:aws:acm:us-east-1:123456789012:certificate/gone', 'ACM Certificate Renewal Action Required'),
      options(),
    );
    expect(result.outcome).toBe('CERTIFICATE_NOT_FOUND');
  });
});
