import type { CertificateDetail } from '@aws-sdk/client-acm';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../functions/certificate-expiry/errors.js';
import { DEFAULT_THRESHOLDS } from '../../../functions/certificate-expiry/thresholds.js';
import { parseCertificateArn, triage } from '../../../functions/certificate-expiry/triage.js';

const DAY = 86_400_000;
const now = new Date('2030-01-01T00:00:00Z');
const arn = 'arn:aws:acm:eu-west-1:111122223333:certificate/6b3c1f3e-0000-4000-8000-000000000001';
const alb = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/shop/50dc6c495c0c9188';

const certificate = (overrides: Partial<CertificateDetail>): CertificateDetail => ({
  CertificateArn: arn,
  DomainName: 'shop.example.com',
  SubjectAlternativeNames: ['shop.example.com'],
  Status: 'ISSUED',
  Type: 'AMAZON_ISSUED',
  KeyAlgorithm: 'EC_prime256v1',
  NotAfter: new Date(now.getTime() + 10 * DAY),
  InUseBy: [alb],
  RenewalEligibility: 'ELIGIBLE',
  ...overrides,
});

const run = (overrides: Partial<CertificateDetail>) =>
  triage(certificate(overrides), now, DEFAULT_THRESHOLDS);

describe('triage', () => {
  it('classifies an expired certificate as EXPIRED, naming what now fails', () => {
    const t = run({ NotAfter: new Date(now.getTime() - 2 * DAY), Status: 'EXPIRED' });
    expect(t).toMatchObject({ findingClass: 'EXPIRED', threshold: 0, daysToExpiry: -2 });
    expect(t.action).toContain(alb);
    expect(t.action).toMatch(/fails TLS/);
  });

  it('classifies an imported certificate as IMPORTED: ACM never renews it', () => {
    const t = run({ Type: 'IMPORTED', RenewalEligibility: 'INELIGIBLE' });
    expect(t).toMatchObject({ findingClass: 'IMPORTED', threshold: 14, daysToExpiry: 10, type: 'IMPORTED' });
    expect(t.action).toMatch(/never renews imported/);
    expect(t.action).toMatch(/re-import/);
  });

  it('classifies an ineligible Amazon-issued certificate that is not in use as NOT_ELIGIBLE', () => {
    const t = run({ RenewalEligibility: 'INELIGIBLE', InUseBy: [] });
    expect(t.findingClass).toBe('NOT_ELIGIBLE');
    expect(t.action).toMatch(/not in use/);
    expect(t.inUseBy).toEqual([]);
  });

  it('classifies an eligible private certificate as PRIVATE_RENEWAL', () => {
    const t = run({ Type: 'PRIVATE', InUseBy: [] });
    expect(t.findingClass).toBe('PRIVATE_RENEWAL');
    expect(t.action).toMatch(/RenewCertificate/);
  });

  it('classifies a failed renewal with its reason and the DNS records to fix', () => {
    const t = run({
      RenewalSummary: {
        RenewalStatus: 'FAILED',
        RenewalStatusReason: 'CAA_ERROR',
        UpdatedAt: now,
        DomainValidationOptions: [
          {
            DomainName: 'shop.example.com',
            ValidationStatus: 'FAILED',
            ValidationMethod: 'DNS',
            ResourceRecord: {
              Name: '_a1.shop.example.com.',
              Type: 'CNAME',
              Value: '_b2.acm-validations.aws.',
            },
          },
        ],
      },
    });
    expect(t).toMatchObject({
      findingClass: 'RENEWAL_FAILED',
      renewalStatus: 'FAILED',
      renewalStatusReason: 'CAA_ERROR',
    });
    expect(t.dnsRecords).toEqual([
      {
        domainName: 'shop.example.com',
        name: '_a1.shop.example.com.',
        type: 'CNAME',
        value: '_b2.acm-validations.aws.',
        validationStatus: 'FAILED',
      },
    ]);
    expect(t.action).toContain('CAA_ERROR');
  });

  it('classifies a renewal pending validation, listing only the domains still to validate', () => {
    const t = run({
      SubjectAlternativeNames: ['shop.example.com', 'www.shop.example.com'],
      RenewalSummary: {
        RenewalStatus: 'PENDING_VALIDATION',
        UpdatedAt: now,
        DomainValidationOptions: [
          {
            DomainName: 'shop.example.com',
            ValidationStatus: 'SUCCESS',
            ResourceRecord: {
              Name: '_a1.shop.example.com.',
              Type: 'CNAME',
              Value: '_v1.acm-validations.aws.',
            },
          },
          {
            DomainName: 'www.shop.example.com',
            ValidationStatus: 'PENDING_VALIDATION',
            ResourceRecord: {
              Name: '_a2.www.shop.example.com.',
              Type: 'CNAME',
              Value: '_v2.acm-validations.aws.',
            },
          },
        ],
      },
    });
    expect(t.findingClass).toBe('RENEWAL_PENDING_VALIDATION');
    expect(t.dnsRecords.map((r) => r.name)).toEqual(['_a2.www.shop.example.com.']);
    expect(t.action).toContain('_a2.www.shop.example.com.');
  });

  it('classifies an eligible Amazon-issued certificate ACM has not renewed yet as MANAGED_RENEWAL_PENDING', () => {
    const t = run({
      RenewalSummary: { RenewalStatus: 'PENDING_AUTO_RENEWAL', UpdatedAt: now, DomainValidationOptions: [] },
    });
    expect(t.findingClass).toBe('MANAGED_RENEWAL_PENDING');
  });

  it('puts expiry before type: an expired imported certificate is EXPIRED', () => {
    expect(run({ Type: 'IMPORTED', NotAfter: new Date(now.getTime() - DAY) }).findingClass).toBe('EXPIRED');
  });

  it('reads Region and account from the ARN and summarises many users', () => {
    const users = Array.from({ length: 5 }, (_, i) => `${alb}-${i}`);
    const t = run({ InUseBy: users });
    expect(t).toMatchObject({ region: 'eu-west-1', account: '111122223333', inUseBy: users });
    expect(t.action).toContain('and 2 more');
  });

  it('rejects a non-ACM ARN with the field named', () => {
    expect(() => parseCertificateArn('arn:aws:kms:eu-west-1:111122223333:key/x')).toThrowError(
      InvalidInputError,
    );
    expect(() => parseCertificateArn('nope', 'resources[0]')).toThrowError(/resources\[0\]/);
  });
});
