/** Demo part: a handful of certificates in the states that need attention, swept once. */
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { defaultIo, type Io } from '../../cli/io.js';
import { run as sweepCertificates } from '../../cli/sweep-certificates.js';
import { type CertificateSeed, seedCertificate } from '../../local/core/admin-client.js';
import { createTestCertificate, importInput } from '../../test/helpers/certificates.js';
import { DEMO_ACCOUNT, DEMO_REGION, headingText, localClientConfig } from './common.js';

/** template.yaml's EventBusName default. */
const STACK_BUS = 'rekey';

const inDays = (days: number): Date => new Date(Date.now() + days * 86_400_000);

const seed = async (endpoint: string, certificate: CertificateSeed): Promise<void> => {
  await seedCertificate({ endpointUrl: endpoint, region: DEMO_REGION, account: DEMO_ACCOUNT }, certificate);
};

export const demoCertificateSweep = async (endpoint: string, io: Io = defaultIo): Promise<void> => {
  io.stdout(`${headingText('ACM: a sweep of every certificate, triaged, with the action to take')}\n`);
  const acm = new ACMClient(localClientConfig(endpoint));
  const events = new EventBridgeClient(localClientConfig(endpoint));
  try {
    // The stack's bus (template.yaml's EventBusName): the only one the sweep's role may publish to.
    await events.send(new CreateEventBusCommand({ Name: STACK_BUS }));
    const imported = createTestCertificate({ domainName: 'legacy.example.com', notAfter: inDays(12) });
    await acm.send(new ImportCertificateCommand(importInput(imported)));
    const ecdsa = createTestCertificate({
      domainName: 'api.example.com',
      keyAlgorithm: 'EC_prime256v1',
      notAfter: inDays(200),
    });
    await acm.send(new ImportCertificateCommand(importInput(ecdsa)));
    await seed(endpoint, {
      type: 'AMAZON_ISSUED',
      domainName: 'shop.example.com',
      notAfter: inDays(20),
      inUseBy: [
        `arn:aws:elasticloadbalancing:${DEMO_REGION}:${DEMO_ACCOUNT}:loadbalancer/app/shop/50dc6c495c0c9188`,
      ],
      renewalStatus: 'PENDING_VALIDATION',
    });
    await seed(endpoint, {
      type: 'AMAZON_ISSUED',
      domainName: 'old-campaign.example.com',
      notAfter: inDays(6),
    });
    await seed(endpoint, { type: 'PRIVATE', domainName: 'internal.corp.example', notAfter: inDays(25) });
    const code = await sweepCertificates(
      ['--endpoint-url', endpoint, '--region', DEMO_REGION, '--event-bus', STACK_BUS],
      io,
    );
    if (code !== 0) throw new Error(`rekey sweep-certificates exited ${code}`);
  } finally {
    acm.destroy();
    events.destroy();
  }
};
