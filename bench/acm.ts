/**
 * Certificate sweep: ACM calls and time for a sweep of 2,500 certificates (nothing due) in each
 * of three Regions, counted on the wire by the local endpoint. Goal: at most 3 calls per Region.
 */
import { createClients } from '../functions/certificate-expiry/clients.js';
import { sweepRegion } from '../functions/certificate-expiry/sweep.js';
import { bulkSeedCertificates } from '../local/core/admin-client.js';
import type { LocalEndpoint } from '../local/endpoint.js';
import { takeCalls } from './calls.js';

const ACCOUNT = '123456789012';
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const PER_REGION = 2500;

export interface AcmBenchResult {
  region: string;
  certificates: number;
  acmCalls: number;
  callsByOperation: Record<string, number>;
  sweepMs: number;
}

export const benchCertificateSweep = async (endpoint: LocalEndpoint): Promise<AcmBenchResult[]> => {
  const notAfter = new Date(Date.now() + 300 * 86_400_000).toISOString();
  for (const region of REGIONS) {
    await bulkSeedCertificates({ endpointUrl: endpoint.url, region, account: ACCOUNT }, PER_REGION, {
      type: 'AMAZON_ISSUED',
      domainName: 'site-{n}.example.com',
      notAfter,
      inUseBy: ['arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE'],
    });
  }
  const clients = createClients({
    endpoint: endpoint.url,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'local' },
    homeRegion: 'us-east-1',
  });
  const results: AcmBenchResult[] = [];
  for (const region of REGIONS) {
    await takeCalls(endpoint, 'CertificateManager');
    const started = performance.now();
    const sweep = await sweepRegion(region, { clients, now: new Date(), thresholds: [45, 30, 14, 7, 3, 1] });
    const sweepMs = performance.now() - started;
    const acm = await takeCalls(endpoint, 'CertificateManager');
    results.push({
      region,
      certificates: sweep.listed,
      acmCalls: Object.values(acm).reduce((a, b) => a + b, 0),
      callsByOperation: acm,
      sweepMs: Math.round(sweepMs),
    });
  }
  return results;
};
