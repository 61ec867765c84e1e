/**
 * A small stand-in for ACM and EventBridge behind aws-sdk-client-mock, for unit tests of the
 * sweep: certificates with tags, paged ListCertificates, throttling on demand, published events.
 */
import {
  ACMClient,
  AddTagsToCertificateCommand,
  type CertificateDetail,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RenewCertificateCommand,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-acm';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';

export const DAY = 86_400_000;
export const NOW = new Date('2030-01-01T00:00:00Z');

export const acmMock = mockClient(ACMClient);
export const eventsMock = mockClient(EventBridgeClient);

export interface FakeCertificate {
  detail: CertificateDetail;
  tags: Map<string, string>;
}

let sequence = 0;

export class FakeAcm {
  readonly certificates = new Map<string, FakeCertificate>();
  readonly calls: string[] = [];
  readonly published: PutEventsRequestEntry[] = [];
  /** DescribeCertificate calls to refuse with ThrottlingException before answering. */
  throttleDescribes = 0;

  constructor() {
    acmMock.reset();
    eventsMock.reset();
    const count = (name: string) => this.calls.push(name);
    acmMock
      .on(ListCertificatesCommand)
      .callsFake(async (input: { NextToken?: string; MaxItems?: number }, getClient) => {
        count('ListCertificates');
        // Each Region lists only its own certificates, as on AWS.
        const region = await (getClient().config.region as () => Promise<string>)();
        const all = [...this.certificates.values()].filter(
          (c) => c.detail.CertificateArn?.split(':')[3] === region,
        );
        const start = input.NextToken ? Number(input.NextToken) : 0;
        const end = start + (input.MaxItems ?? 100);
        return {
          CertificateSummaryList: all.slice(start, end).map(({ detail }) => ({
            CertificateArn: detail.CertificateArn,
            DomainName: detail.DomainName,
            Status: detail.Status,
            Type: detail.Type,
            NotAfter: detail.NotAfter,
            InUse: (detail.InUseBy ?? []).length > 0,
            RenewalEligibility: detail.RenewalEligibility,
            KeyAlgorithm: detail.KeyAlgorithm,
          })),
          ...(end < all.length ? { NextToken: String(end) } : {}),
        };
      });
    acmMock.on(DescribeCertificateCommand).callsFake((input: { CertificateArn: string }) => {
      count('DescribeCertificate');
      if (this.throttleDescribes > 0) {
        this.throttleDescribes--;
        throw new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
      }
      return { Certificate: structuredClone(this.get(input.CertificateArn).detail) };
    });
    acmMock.on(ListTagsForCertificateCommand).callsFake((input: { CertificateArn: string }) => {
      count('ListTagsForCertificate');
      return { Tags: [...this.get(input.CertificateArn).tags].map(([Key, Value]) => ({ Key, Value })) };
    });
    acmMock
      .on(AddTagsToCertificateCommand)
      .callsFake((input: { CertificateArn: string; Tags: { Key: string; Value: string }[] }) => {
        count('AddTagsToCertificate');
        const cert = this.get(input.CertificateArn);
        for (const tag of input.Tags) cert.tags.set(tag.Key, tag.Value);
        return {};
      });
    acmMock.on(RenewCertificateCommand).callsFake((input: { CertificateArn: string }) => {
      count('RenewCertificate');
      this.get(input.CertificateArn);
      return {};
    });
    eventsMock.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      this.published.push(...input.Entries);
      return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `event-${i}` })) };
    });
  }

  get(arn: string): FakeCertificate {
    const cert = this.certificates.get(arn);
    if (!cert)
      throw new ResourceNotFoundException({ message: `Could not find certificate ${arn}.`, $metadata: {} });
    return cert;
  }

  /** Adds a certificate expiring `days` from NOW; returns its ARN. */
  add(days: number, overrides: Partial<CertificateDetail> = {}, region = 'us-east-1'): string {
    const id = `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`;
    const arn = `arn:aws:acm:${region}:123456789012:certificate/${id}`;
    this.certificates.set(arn, {
      tags: new Map(),
      detail: {
        CertificateArn: arn,
        DomainName: `host${sequence}.example.com`,
        SubjectAlternativeNames: [`host${sequence}.example.com`],
        Status: days <= 0 ? 'EXPIRED' : 'ISSUED',
        Type: 'AMAZON_ISSUED',
        KeyAlgorithm: 'RSA_2048',
        NotAfter: new Date(NOW.getTime() + days * DAY),
        InUseBy: ['arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL'],
        RenewalEligibility: 'ELIGIBLE',
        ...overrides,
      },
    });
    return arn;
  }

  /** Finding details published so far. */
  findings(): Record<string, unknown>[] {
    return this.published.map((e) => JSON.parse(e.Detail ?? '{}') as Record<string, unknown>);
  }

  count(name: string): number {
    return this.calls.filter((c) => c === name).length;
  }
}
