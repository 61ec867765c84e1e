/**
 * The ACM event path on the local endpoint: the documented events for real certificates, one
 * alert per threshold however often ACM repeats the event, and malformed events rejected.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/certificate-expiry/errors.js';
import { createHandler } from '../../../functions/certificate-expiry/handler.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { newAccount, now, type TestAccount } from './env.js';

let endpoint: TestEndpoint;

beforeAll(async () => {
  endpoint = await startTestEndpoint();
});

afterAll(async () => {
  await endpoint?.close();
});

/** A sample from events/, re-pointed at a certificate of the test account. */
const acmEvent = (name: string, arn: string, account: string, detail: Record<string, unknown> = {}) => {
  const event = structuredClone(
    JSON.parse(readFileSync(new URL(`../../../events/${name}.json`, import.meta.url), 'utf8')),
  ) as Record<string, unknown>;
  event.resources = [arn];
  event.account = account;
  event.region = arn.split(':')[3];
  event.detail = { ...(event.detail as Record<string, unknown>), ...detail };
  return event;
};

const handlerFor = (t: TestAccount) =>
  createHandler({
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

describe('ACM event path', () => {
  it('alerts once for daily Approaching Expiration events, again at the next threshold', async () => {
    const t = await newAccount(endpoint);
    const arn = await t.importCertificate(32.5, { keyAlgorithm: 'RSA_4096' });
    const handler = handlerFor(t);

    const first = await handler(
      acmEvent('acm-certificate-approaching-expiration', arn, t.account, { DaysToExpiry: 32 }),
    );
    endpoint.clock.advance(86_400_000);
    const second = await handler(
      acmEvent('acm-certificate-approaching-expiration', arn, t.account, { DaysToExpiry: 31 }),
    );
    endpoint.clock.advance(86_400_000);
    const third = await handler(
      acmEvent('acm-certificate-approaching-expiration', arn, t.account, { DaysToExpiry: 30 }),
    );

    expect([first, second, third].map((r) => (r as { outcome: string }).outcome)).toEqual([
      'ALERTED',
      'ALREADY_ALERTED',
      'ALERTED',
    ]);
    const findings = await t.findings();
    expect(findings.map((f) => [f.threshold, f.findingClass, f.trigger])).toEqual([
      [45, 'IMPORTED', 'ACM_EVENT'],
      [30, 'IMPORTED', 'ACM_EVENT'],
    ]);
  });

  it('turns Renewal Action Required into a finding with the DNS records to create', async () => {
    const t = await newAccount(endpoint);
    const arn = await t.seed(29.5, {
      renewalStatus: 'PENDING_VALIDATION',
      subjectAlternativeNames: ['www.{n}.example'],
    });

    const result = await handlerFor(t)(acmEvent('acm-certificate-renewal-action-required', arn, t.account));

    expect(result).toMatchObject({
      outcome: 'ALERTED',
      findingClass: 'RENEWAL_PENDING_VALIDATION',
      threshold: 30,
    });
    const [finding] = await t.findings();
    expect(finding?.dnsRecords.length).toBe(2);
    expect(finding?.action).toContain(finding?.dnsRecords[0]?.name);
  });

  it('handles ACM Certificate Expired for a certificate that expired', async () => {
    const t = await newAccount(endpoint);
    const arn = await t.seed(0.5, { type: 'PRIVATE', keyAlgorithm: 'EC_secp384r1' });
    endpoint.clock.advance(86_400_000);

    const result = await handlerFor(t)(acmEvent('acm-certificate-expired', arn, t.account));

    expect(result).toMatchObject({ outcome: 'ALERTED', findingClass: 'EXPIRED', threshold: 0 });
    // An expired private certificate cannot be renewed with RenewCertificate; nothing was tried.
    expect((await t.findings())[0]).toMatchObject({ renewalAttempted: false, status: 'EXPIRED' });
  });

  it('rejects malformed events with an error naming the field', async () => {
    const t = await newAccount(endpoint);
    const arn = await t.seed(10);
    const handler = handlerFor(t);
    const noResources = acmEvent('acm-certificate-expired', arn, t.account);
    delete noResources.resources;
    const wrongType = acmEvent('acm-certificate-expired', arn, t.account);
    wrongType['detail-type'] = 'ACM Certificate Imported';
    const badDays = acmEvent('acm-certificate-approaching-expiration', arn, t.account, {
      DaysToExpiry: 'soon',
    });

    await expect(handler(noResources)).rejects.toThrowError(InvalidInputError);
    await expect(handler(noResources)).rejects.toThrowError(/Field resources/);
    await expect(handler(wrongType)).rejects.toThrowError(/Field detail-type must be one of/);
    await expect(handler(badDays)).rejects.toThrowError(/detail\.DaysToExpiry/);
    await expect(handler({ hello: 'world' })).rejects.toThrowError(/neither an ACM EventBridge event/);
    expect(await t.findings()).toEqual([]);
  });
});
