import { describe, expect, it } from 'vitest';
import { parseAcmEvent } from '../../../functions/certificate-expiry/acm-events.js';
import { InvalidInputError } from '../../../functions/certificate-expiry/errors.js';
import { loadEvent } from './events.js';

const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b';

describe('parseAcmEvent', () => {
  it('parses the three documented ACM events', () => {
    expect(parseAcmEvent(loadEvent('acm-certificate-approaching-expiration'))).toEqual({
      detailType: 'ACM Certificate Approaching Expiration',
      certificateArn: ARN,
      region: 'us-east-1',
      account: '123456789012',
      time: '2020-09-30T06:51:08Z',
      daysToExpiry: 31,
      commonName: 'example.com',
      renewalStatusReason: null,
    });
    expect(parseAcmEvent(loadEvent('acm-certificate-renewal-action-required'))).toMatchObject({
      detailType: 'ACM Certificate Renewal Action Required',
      daysToExpiry: 30,
      renewalStatusReason: 'PENDING_DOMAIN_VALIDATION',
    });
    expect(parseAcmEvent(loadEvent('acm-certificate-expired'))).toMatchObject({
      detailType: 'ACM Certificate Expired',
      daysToExpiry: null,
    });
  });

  it.each([
    [
      'detail-type',
      (e: Record<string, unknown>) => (e['detail-type'] = 'ACM Certificate Available'),
      /detail-type/,
    ],
    ['source', (e: Record<string, unknown>) => (e.source = 'aws.kms'), /Field source/],
    ['resources', (e: Record<string, unknown>) => (e.resources = []), /Field resources/],
    [
      'resources[0]',
      (e: Record<string, unknown>) => (e.resources = ['arn:aws:s3:::bucket']),
      /resources\[0\]/,
    ],
    ['region', (e: Record<string, unknown>) => (e.region = 'eu-west-1'), /Field region/],
    ['account', (e: Record<string, unknown>) => (e.account = '999999999999'), /Field account/],
    ['time', (e: Record<string, unknown>) => (e.time = 'yesterday'), /Field time/],
    ['detail', (e: Record<string, unknown>) => (e.detail = 'x'), /Field detail /],
    [
      'detail.DaysToExpiry',
      (e: Record<string, unknown>) => ((e.detail as Record<string, unknown>).DaysToExpiry = '31'),
      /detail\.DaysToExpiry/,
    ],
    [
      'detail.CommonName',
      (e: Record<string, unknown>) => ((e.detail as Record<string, unknown>).CommonName = 42),
      /detail\.CommonName/,
    ],
  ])('rejects a wrong %s with an error naming it', (_field, corrupt, message) => {
    const event = loadEvent('acm-certificate-approaching-expiration');
    corrupt(event);
    expect(() => parseAcmEvent(event)).toThrowError(InvalidInputError);
    expect(() => parseAcmEvent(event)).toThrowError(message);
  });

  it('rejects a non-object event', () => {
    expect(() => parseAcmEvent('hello')).toThrowError(InvalidInputError);
  });

  it('accepts fields AWS adds later', () => {
    const event = loadEvent('acm-certificate-expired');
    (event.detail as Record<string, unknown>).SomethingNew = true;
    event['replay-name'] = 'x';
    expect(parseAcmEvent(event).certificateArn).toBe(ARN);
  });
});
