import 'aws-sdk-client-mock-vitest/extend';
import { ACMClient, type CertificateSummary, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ALL_KEY_TYPES, listCandidates, needsAttention } from '../../../functions/certificate-expiry/list.js';

const DAY = 86_400_000;
const now = new Date('2030-01-01T00:00:00Z');
const acmMock = mockClient(ACMClient);

const summary = (i: number, overrides: Partial<CertificateSummary> = {}): CertificateSummary => ({
  CertificateArn: `arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  DomainName: `host${i}.example.com`,
  Status: 'ISSUED',
  Type: 'AMAZON_ISSUED',
  NotAfter: new Date(now.getTime() + 300 * DAY),
  ...overrides,
});

describe('listCandidates', () => {
  beforeEach(() => acmMock.reset());

  it('asks for every key type and status, 1,000 per page, and follows NextToken', async () => {
    // Prepare: 2,500 certificates over three pages, two of them due.
    const all = Array.from({ length: 2500 }, (_, i) =>
      summary(
        i,
        i === 10 ? { NotAfter: new Date(now.getTime() + 20 * DAY) } : i === 2400 ? { Status: 'EXPIRED' } : {},
      ),
    );
    acmMock.on(ListCertificatesCommand).callsFake((input: { NextToken?: string; MaxItems?: number }) => {
      const start = input.NextToken ? Number(input.NextToken) : 0;
      const end = start + (input.MaxItems ?? 100);
      return {
        CertificateSummaryList: all.slice(start, end),
        ...(end < all.length ? { NextToken: String(end) } : {}),
      };
    });

    // Act
    const result = await listCandidates(new ACMClient({ region: 'us-east-1' }), {
      now,
      maxThresholdDays: 45,
    });

    // Assess
    expect(result.listed).toBe(2500);
    expect(result.pages).toBe(3);
    expect(result.candidates.map((c) => c.DomainName)).toEqual([
      'host10.example.com',
      'host2400.example.com',
    ]);
    expect(acmMock).toHaveReceivedCommandTimes(ListCertificatesCommand, 3);
    expect(acmMock).toHaveReceivedCommandWith(ListCertificatesCommand, {
      MaxItems: 1000,
      Includes: { keyTypes: ALL_KEY_TYPES },
      CertificateStatuses: expect.arrayContaining(['ISSUED', 'EXPIRED', 'PENDING_VALIDATION']),
    });
    // Without keyTypes, ListCertificates returns only RSA_1024 and RSA_2048 certificates.
    expect(ALL_KEY_TYPES).toEqual(
      expect.arrayContaining([
        'RSA_2048',
        'RSA_3072',
        'RSA_4096',
        'EC_prime256v1',
        'EC_secp384r1',
        'EC_secp521r1',
      ]),
    );
  });
});

describe('needsAttention', () => {
  it.each([
    ['expired status', { Status: 'EXPIRED' as const }, true],
    ['NotAfter within 45 days', { NotAfter: new Date(now.getTime() + 45.5 * DAY) }, true],
    ['NotAfter past 46 days', { NotAfter: new Date(now.getTime() + 46 * DAY) }, false],
    ['NotAfter passed, status not yet updated', { NotAfter: new Date(now.getTime() - DAY) }, true],
    ['never-issued request', { Status: 'FAILED' as const, NotAfter: undefined }, false],
    ['revoked', { Status: 'REVOKED' as const, NotAfter: new Date(now.getTime() + DAY) }, false],
    [
      'issued certificate being revalidated',
      { Status: 'PENDING_VALIDATION' as const, NotAfter: new Date(now.getTime() + 5 * DAY) },
      true,
    ],
  ])('%s → %s', (_name, overrides, expected) => {
    expect(needsAttention(summary(1, overrides), now, 45)).toBe(expected);
  });
});
