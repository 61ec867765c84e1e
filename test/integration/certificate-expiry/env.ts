/**
 * One local endpoint per test file, and per test a fresh account on it (a 12-digit access key id
 * selects the account), so tests do not see each other's certificates, secrets or events.
 */
import { randomInt } from 'node:crypto';
import { type ACMClient, DescribeCertificateCommand, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type Clients, createClients } from '../../../functions/certificate-expiry/clients.js';
import type { Finding } from '../../../functions/certificate-expiry/schema.js';
import { type SweepOptions, sweepRegion } from '../../../functions/certificate-expiry/sweep.js';
import { DEFAULT_THRESHOLDS } from '../../../functions/certificate-expiry/thresholds.js';
import { logger } from '../../../functions/lib/logger.js';
import { functionCredentials } from '../../../local/core/iam/identities.js';
import type { TestAdminClient } from '../../helpers/admin.js';
import {
  createTestCertificate,
  importInput,
  type TestCertificateOptions,
} from '../../helpers/certificates.js';
import type { TestEndpoint } from '../../helpers/endpoint.js';

export const DAY = 86_400_000;

// One JSON line per certificate examined would bury the test report; warnings still show.
logger.setLogLevel('WARN');

export interface TestAccount {
  readonly account: string;
  readonly bus: string;
  readonly clients: Clients;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  acm(region?: string): ACMClient;
  /** The endpoint's admin routes as this account, in `region` (default us-east-1). */
  admin(region?: string): TestAdminClient;
  /** Seeds an Amazon-issued or private certificate expiring `days` from the endpoint's now. */
  seed(days: number, body?: Record<string, unknown>, region?: string): Promise<string>;
  /** Imports a real test certificate expiring `days` from the endpoint's now. */
  importCertificate(
    days: number,
    options?: TestCertificateOptions & { tags?: { Key: string; Value?: string }[]; region?: string },
  ): Promise<string>;
  /** Sweeps a Region with the endpoint's clock. */
  sweep(region?: string, overrides?: Partial<SweepOptions>): ReturnType<typeof sweepRegion>;
  /** Finding events published on this account's bus so far (in `region`'s bus). */
  findings(region?: string): Promise<Finding[]>;
  notAfter(arn: string, region?: string): Promise<Date | undefined>;
}

export const now = (endpoint: TestEndpoint): Date => endpoint.clock.now();

let domainCounter = 0;

/** A fresh account with its own bus on `endpoint`. */
export const newAccount = async (endpoint: TestEndpoint): Promise<TestAccount> => {
  const account = String(randomInt(100_000_000_000, 999_999_999_999));
  const credentials = { accessKeyId: account, secretAccessKey: 'local' };
  // The stack's bus (template.yaml's EventBusName default): the only one the function's role may publish to.
  const bus = 'rekey';
  // The function signs as its role, as deployed; the test sets certificates up as the account.
  const clients = createClients({
    endpoint: endpoint.url,
    credentials: functionCredentials('CertificateExpiryFunction', account),
    homeRegion: 'us-east-1',
  });
  const owner = createClients({ endpoint: endpoint.url, credentials, homeRegion: 'us-east-1' });
  await new EventBridgeClient({ endpoint: endpoint.url, credentials, region: 'us-east-1' }).send(
    new CreateEventBusCommand({ Name: bus }),
  );
  const admin = (region = 'us-east-1') => endpoint.admin.as({ account, region });
  return {
    account,
    bus,
    clients,
    credentials,
    acm: (region = 'us-east-1') => owner.acm(region),
    admin,
    async seed(days, body = {}, region = 'us-east-1') {
      return admin(region).seedCertificate({
        type: 'AMAZON_ISSUED',
        domainName: `site${++domainCounter}.rekey.example`,
        notAfter: new Date(now(endpoint).getTime() + days * DAY).toISOString(),
        inUseBy: [`arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/web/${domainCounter}`],
        ...body,
      });
    },
    async importCertificate(days, options = {}) {
      const { tags, region = 'us-east-1', ...certificateOptions } = options;
      const at = now(endpoint);
      const certificate = createTestCertificate({
        domainName: `imported${++domainCounter}.rekey.example`,
        notBefore: new Date(at.getTime() - 3600_000),
        notAfter: new Date(at.getTime() + days * DAY),
        ...certificateOptions,
      });
      const result = await owner
        .acm(region)
        .send(new ImportCertificateCommand(importInput(certificate, tags ? { Tags: tags } : {})));
      return result.CertificateArn ?? '';
    },
    sweep(region = 'us-east-1', overrides = {}) {
      return sweepRegion(region, {
        clients,
        now: now(endpoint),
        thresholds: DEFAULT_THRESHOLDS,
        busName: bus,
        backoff: { baseMs: 20 },
        ...overrides,
      });
    },
    async findings(region = 'us-east-1') {
      const { events } = await admin(region).readEvents({ eventBusName: bus });
      return events.map((e) => e.detail as unknown as Finding);
    },
    async notAfter(arn, region = 'us-east-1') {
      const { Certificate } = await owner
        .acm(region)
        .send(new DescribeCertificateCommand({ CertificateArn: arn }));
      return Certificate?.NotAfter;
    },
  };
};
