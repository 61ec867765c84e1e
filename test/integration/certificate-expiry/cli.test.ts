/**
 * `rekey sweep-certificates` against the local endpoint: the findings printed as a table and as
 * JSON, alerts published only with a bus, exit codes, and usage errors.
 */
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { run } from '../../../cli/sweep-certificates.js';
import { adminFetch, readEvents } from '../../../local/core/admin-client.js';
import { captureIo } from '../../helpers/cli-io.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { newAccount, type TestAccount } from './env.js';

let endpoint: TestEndpoint;
const saved = { ...process.env };

beforeAll(async () => {
  endpoint = await startTestEndpoint();
});

afterAll(async () => {
  process.env = saved;
  await endpoint?.close();
});

/** Runs the CLI as the test account (its access key id selects the account on the endpoint). */
const runAs = async (t: TestAccount, argv: string[]) => {
  process.env.AWS_ACCESS_KEY_ID = t.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = t.credentials.secretAccessKey;
  delete process.env.EVENT_BUS_NAME;
  delete process.env.SWEEP_REGIONS;
  const c = captureIo();
  const code = await run(['--endpoint-url', endpoint.url, ...argv], c.io);
  return { code, stdout: c.stdout, stderr: c.stderr };
};

describe('rekey sweep-certificates', () => {
  it('prints the findings as a table with their actions, and exits 0', async () => {
    const t = await newAccount(endpoint);
    const arn = await t.importCertificate(6.5, { keyAlgorithm: 'EC_prime256v1' });
    await t.seed(20, { renewalStatus: 'FAILED', renewalStatusReason: 'CAA_ERROR' }, 'eu-west-1');
    await t.seed(300);

    const { code, stdout } = await runAs(t, ['--region', 'eu-west-1']);

    expect(code).toBe(0);
    expect(stdout).toMatch(/CLASS/);
    expect(stdout).toContain(arn);
    expect(stdout).toMatch(/IMPORTED\s+IMPORTED/);
    expect(stdout).toMatch(/eu-west-1\s+19\s+30d\s+RENEWAL_FAILED/);
    expect(stdout).toMatch(/CAA_ERROR/);
    expect(stdout).toMatch(
      /Swept 2 of 2 Region\(s\) \(us-east-1, eu-west-1\): 3 certificate\(s\), 2 finding\(s\), 0 alert\(s\)/,
    );
    // Without a bus, nothing is published and nothing is tagged as alerted.
    expect(await t.findings()).toEqual([]);
    expect(stdout).not.toMatch(/^\{"level"/m);
  });

  it('prints JSON, publishes to the bus when given one, and respects --thresholds', async () => {
    const t = await newAccount(endpoint);
    const arn = await t.seed(9.5);
    await t.seed(20);

    const { code, stdout } = await runAs(t, [
      '--output',
      'json',
      '--event-bus',
      t.bus,
      '--thresholds',
      '10,5',
    ]);

    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      findings: { certificateArn: string; threshold: number; alerted: boolean }[];
    };
    expect(report.findings).toEqual([
      expect.objectContaining({ certificateArn: arn, threshold: 10, alerted: true }),
    ]);
    expect((await t.findings()).map((f) => f.certificateArn)).toEqual([arn]);
  });

  it('sweeps as the certificate-expiry role: a bus outside its PutEvents grant is denied, not used', async () => {
    const t = await newAccount(endpoint);
    await t.seed(9.5);
    // A bus the account owns but the function's role may not publish to (only the stack's).
    const elsewhere = 'not-the-stacks-bus';
    await new EventBridgeClient({
      endpoint: endpoint.url,
      credentials: t.credentials,
      region: 'us-east-1',
    }).send(new CreateEventBusCommand({ Name: elsewhere }));
    await adminFetch(`${endpoint.url}/_rekey/iam/audit`, { reset: true });

    const { code, stderr } = await runAs(t, ['--output', 'json', '--event-bus', elsewhere]);

    expect(code).toBe(1);
    expect(stderr).toMatch(/us-east-1 could not be swept: AlertDeliveryError: .*AccessDeniedException/);

    const { events } = await readEvents(
      { endpointUrl: endpoint.url, region: 'us-east-1', account: t.account },
      { eventBusName: elsewhere },
    );
    expect(events).toEqual([]);
    const audit = (await (await adminFetch(`${endpoint.url}/_rekey/iam/audit`)).json()) as {
      entries: { principal: string; action: string; resource: string }[];
    };
    expect(audit.entries).toContainEqual(
      expect.objectContaining({
        action: 'events:PutEvents',
        principal: expect.stringContaining('CertificateExpiryFunction'),
        resource: expect.stringContaining(elsewhere),
      }),
    );
  });

  it('exits 2 with a clear message for bad options, through the rekey dispatcher', async () => {
    const writes: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await main(['sweep-certificates', '--output', 'yaml'])).toBe(2);
      expect(await main(['sweep-certificates', '--region', 'mars-1'])).toBe(2);
      expect(await main(['sweep-certificates', '--thresholds', '0'])).toBe(2);
    } finally {
      process.stderr.write = original;
    }
    expect(writes.join('')).toMatch(/--output must be table or json/);
    expect(writes.join('')).toMatch(/--region must be a Region name such as eu-west-1; got 'mars-1'/);
    expect(writes.join('')).toMatch(/--thresholds must hold whole days/);
  });
});
