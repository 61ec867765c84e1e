import { AccessDeniedException, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../../cli/sweep-certificates.js';
import { acmMock, DAY, FakeAcm } from './fake-acm.js';

const saved = { ...process.env };

afterEach(() => {
  process.env = { ...saved };
});

describe('rekey sweep-certificates exit codes', () => {
  it('exits 1 when a Region cannot be swept, still printing the Regions that were', async () => {
    // Prepare: us-east-1 answers; eu-west-1 refuses ListCertificates.
    const acm = new FakeAcm();
    // The CLI measures against the real clock.
    const certificate = acm.get(acm.add(0));
    certificate.detail.NotAfter = new Date(Date.now() + 3.5 * DAY);
    certificate.detail.Status = 'ISSUED';
    acmMock.on(ListCertificatesCommand).callsFake(async (_input, getClient) => {
      const region = await (getClient().config.region as () => Promise<string>)();
      if (region === 'eu-west-1') {
        throw new AccessDeniedException({
          message: 'not authorized to perform acm:ListCertificates',
          $metadata: {},
        });
      }
      return {
        CertificateSummaryList: [...acm.certificates.values()].map((c) => ({ ...c.detail, InUse: true })),
      };
    });
    process.env.AWS_ACCESS_KEY_ID = 'a';
    process.env.AWS_SECRET_ACCESS_KEY = 'b';
    delete process.env.EVENT_BUS_NAME;
    const out: string[] = [];
    const err: string[] = [];

    // Act
    const code = await run(['--region', 'eu-west-1', '--dry-run'], {
      stdout: (s) => void out.push(s),
      stderr: (s) => void err.push(s),
    });

    // Assess
    expect(code).toBe(1);
    expect(out.join('')).toMatch(/Swept 1 of 2 Region\(s\)/);
    expect(out.join('')).toMatch(/us-east-1\s+3\s+3d\s+MANAGED_RENEWAL_PENDING/);
    expect(err.join('')).toMatch(/Region eu-west-1 could not be swept: AccessDeniedException/);
  });
});
