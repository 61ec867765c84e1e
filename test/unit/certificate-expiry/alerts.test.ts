import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  assertDelivered,
  batchEntries,
  MAX_REQUEST_BYTES,
  publishFindings,
  readAlertedState,
} from '../../../functions/certificate-expiry/alerts.js';
import { AlertDeliveryError } from '../../../functions/certificate-expiry/errors.js';
import type { Finding } from '../../../functions/certificate-expiry/schema.js';

const eventsMock = mockClient(EventBridgeClient);
const now = new Date('2030-01-01T00:00:00Z');

const finding = (i: number): Finding => ({
  schemaVersion: 1,
  certificateArn: `arn:aws:acm:us-east-1:123456789012:certificate/cert-${i}`,
  domainName: `host${i}.example.com`,
  subjectAlternativeNames: [],
  region: 'us-east-1',
  account: '123456789012',
  type: 'IMPORTED',
  status: 'ISSUED',
  keyAlgorithm: 'RSA_2048',
  notAfter: '2030-01-10T00:00:00.000Z',
  daysToExpiry: 9,
  threshold: 14,
  findingClass: 'IMPORTED',
  action: 'Re-import it.',
  inUseBy: [],
  renewalEligibility: 'INELIGIBLE',
  renewalStatus: null,
  renewalStatusReason: null,
  dnsRecords: [],
  renewalAttempted: false,
  renewalResult: null,
  renewalMessage: null,
  renewedNotAfter: null,
  trigger: 'SWEEP',
  observedAt: now.toISOString(),
});

const noSleep = { sleep: async () => {}, random: () => 0 };

describe('publishFindings', () => {
  beforeEach(() => eventsMock.reset());

  it('sends 25 findings in requests of 10, 10 and 5', async () => {
    eventsMock.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(() => ({ EventId: 'id' })),
    }));
    const findings = Array.from({ length: 25 }, (_, i) => finding(i));

    const result = await publishFindings(new EventBridgeClient({ region: 'us-east-1' }), 'bus', findings, {
      now,
    });

    expect(result.delivered).toHaveLength(25);
    const sizes = eventsMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 5]);
    expect(eventsMock).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: expect.arrayContaining([
        expect.objectContaining({
          Source: 'rekey',
          DetailType: 'Certificate Expiry Finding',
          EventBusName: 'bus',
        }),
      ]),
    });
  });

  it('sends again only the entries PutEvents refused (FailedEntryCount), until they are accepted', async () => {
    let call = 0;
    eventsMock.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      call++;
      // First call refuses entries 1 and 3 (throttled); the retry accepts them.
      const refused = call === 1 ? [1, 3] : [];
      return {
        FailedEntryCount: refused.length,
        Entries: input.Entries.map((_, i) =>
          refused.includes(i)
            ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
            : { EventId: 'ok' },
        ),
      };
    });
    const findings = Array.from({ length: 4 }, (_, i) => finding(i));

    const result = await publishFindings(new EventBridgeClient({ region: 'us-east-1' }), 'bus', findings, {
      now,
      backoff: noSleep,
    });

    expect(result.failed).toEqual([]);
    expect(result.delivered.map((f) => f.domainName).sort()).toEqual(
      findings.map((f) => f.domainName).sort(),
    );
    const retried = eventsMock
      .commandCalls(PutEventsCommand)[1]
      ?.args[0].input.Entries?.map((e) => e.Resources?.[0]);
    expect(retried).toEqual([findings[1]?.certificateArn, findings[3]?.certificateArn]);
  });

  it('never drops an alert silently: entries still refused after retries make assertDelivered throw', async () => {
    eventsMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try later' }],
    });

    const result = await publishFindings(
      new EventBridgeClient({ region: 'us-east-1' }),
      'bus',
      [finding(7)],
      {
        now,
        attempts: 3,
        backoff: noSleep,
      },
    );

    expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    expect(result.failed).toEqual([expect.objectContaining({ errorCode: 'InternalFailure' })]);
    expect(() => assertDelivered(result)).toThrowError(AlertDeliveryError);
    try {
      assertDelivered(result);
    } catch (error) {
      expect((error as AlertDeliveryError).certificateArns).toEqual([finding(7).certificateArn]);
    }
  });
});

describe('batchEntries', () => {
  it('starts a new request before 256 KB', () => {
    const big = (i: number): PutEventsRequestEntry => ({
      Source: 'rekey',
      Detail: 'x'.repeat(100 * 1024),
      DetailType: `${i}`,
    });
    const batches = batchEntries([big(1), big(2), big(3), big(4), big(5)]);
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(MAX_REQUEST_BYTES).toBe(262_144);
  });
});

describe('readAlertedState', () => {
  it('reads the two tags, and ignores an unreadable threshold rather than silencing alerts', () => {
    const notAfter = '2030-01-10T00:00:00.000Z';
    expect(
      readAlertedState(
        new Map([
          ['rekey:alerted-threshold', '7'],
          ['rekey:alerted-not-after', notAfter],
        ]),
      ),
    ).toEqual({ threshold: 7, notAfter });
    expect(
      readAlertedState(
        new Map([
          ['rekey:alerted-threshold', 'none'],
          ['rekey:alerted-not-after', notAfter],
        ]),
      ),
    ).toEqual({ threshold: null, notAfter });
    expect(
      readAlertedState(
        new Map([
          ['rekey:alerted-threshold', 'seven'],
          ['rekey:alerted-not-after', notAfter],
        ]),
      ),
    ).toBeUndefined();
    expect(readAlertedState(new Map([['rekey:alerted-threshold', '7']]))).toBeUndefined();
  });
});
