/**
 * The sweep against the local endpoint (ACM, EventBridge, Secrets Manager) with real test
 * certificates: every triage class, every threshold, no duplicate alerts, re-alert after renewal,
 * RenewCertificate for private certificates and re-import from a source secret.
 */
import {
  GetCertificateCommand,
  ImportCertificateCommand,
  ListTagsForCertificateCommand,
} from '@aws-sdk/client-acm';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, createTestCertificate, importInput } from '../../helpers/certificates.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { DAY, newAccount, now } from './env.js';

/** The tag the deployed role requires on a certificate's source secret (docs/certificate-findings.md). */
const SOURCE_TAGS = [{ Key: 'rekey:certificate-source', Value: 'true' }];

let endpoint: TestEndpoint;

beforeAll(async () => {
  endpoint = await startTestEndpoint();
});

afterAll(async () => {
  await endpoint?.close();
});

describe('certificate sweep against the local endpoint', () => {
  it('triages every class, names what breaks, and publishes one finding each', async () => {
    // Prepare: one certificate per class, plus two healthy ones that must not show up.
    const t = await newAccount(endpoint);
    const ca = createTestCa({ keyAlgorithm: 'EC_secp384r1', commonName: 'rekey test issuing CA' });
    const importedSelfSigned = await t.importCertificate(20, { keyAlgorithm: 'RSA_2048' });
    const importedChained = await t.importCertificate(5, {
      keyAlgorithm: 'EC_secp384r1',
      issuer: ca,
      slot: 1,
    });
    const notInUse = await t.seed(40, { inUseBy: [], keyAlgorithm: 'RSA_4096' });
    const pending = await t.seed(12, { renewalStatus: 'PENDING_VALIDATION', keyAlgorithm: 'EC_prime256v1' });
    const failed = await t.seed(2.5, { renewalStatus: 'FAILED', renewalStatusReason: 'CAA_ERROR' });
    const privateCert = await t.seed(10, { type: 'PRIVATE', keyAlgorithm: 'EC_prime256v1', inUseBy: [] });
    const expired = await t.seed(-3, { keyAlgorithm: 'EC_secp384r1' });
    const managed = await t.seed(8.5, { renewalStatus: 'PENDING_AUTO_RENEWAL' });
    await t.seed(200, { keyAlgorithm: 'RSA_4096' });
    await t.importCertificate(100, { keyAlgorithm: 'EC_prime256v1' });
    const privateNotAfter = await t.notAfter(privateCert);

    // Act
    const sweep = await t.sweep();

    // Assess
    const byArn = new Map((await t.findings()).map((f) => [f.certificateArn, f]));
    expect(byArn.size).toBe(8);
    expect(sweep).toMatchObject({ listed: 10, candidates: 8 });
    expect(byArn.get(importedSelfSigned)).toMatchObject({
      findingClass: 'IMPORTED',
      threshold: 30,
      type: 'IMPORTED',
    });
    expect(byArn.get(importedChained)).toMatchObject({
      findingClass: 'IMPORTED',
      threshold: 7,
      keyAlgorithm: 'EC-secp384r1', // as DescribeCertificate writes it
    });
    expect(byArn.get(notInUse)).toMatchObject({ findingClass: 'NOT_ELIGIBLE', threshold: 45, inUseBy: [] });
    expect(byArn.get(notInUse)?.action).toMatch(/not in use/);
    const pendingFinding = byArn.get(pending);
    expect(pendingFinding).toMatchObject({ findingClass: 'RENEWAL_PENDING_VALIDATION', threshold: 14 });
    expect(pendingFinding?.dnsRecords[0]).toMatchObject({
      type: 'CNAME',
      validationStatus: 'PENDING_VALIDATION',
    });
    expect(pendingFinding?.dnsRecords[0]?.name).toMatch(/^_[0-9a-f]+\.site\d+\.rekey\.example\.$/);
    expect(byArn.get(failed)).toMatchObject({
      findingClass: 'RENEWAL_FAILED',
      threshold: 3,
      renewalStatus: 'FAILED',
      renewalStatusReason: 'CAA_ERROR',
    });
    expect(byArn.get(failed)?.inUseBy[0]).toMatch(/loadbalancer/);
    expect(byArn.get(failed)?.action).toContain(byArn.get(failed)?.inUseBy[0]);
    expect(byArn.get(privateCert)).toMatchObject({
      findingClass: 'PRIVATE_RENEWAL',
      renewalAttempted: true,
      renewalResult: 'RENEWAL_REQUESTED',
    });
    expect(byArn.get(expired)).toMatchObject({ findingClass: 'EXPIRED', threshold: 0, status: 'EXPIRED' });
    expect(byArn.get(managed)).toMatchObject({ findingClass: 'MANAGED_RENEWAL_PENDING', threshold: 14 });
    // RenewCertificate really renewed the private certificate (locally it completes at once).
    expect((await t.notAfter(privateCert))?.getTime()).toBeGreaterThan(privateNotAfter?.getTime() ?? 0);
    for (const finding of byArn.values()) {
      expect(finding).toMatchObject({
        schemaVersion: 1,
        region: 'us-east-1',
        account: t.account,
        trigger: 'SWEEP',
      });
    }
  });

  it('alerts a certificate once at every threshold as its expiry approaches, and once expired', async () => {
    // Prepare: an imported certificate 50 days from expiry; the clock walks it down.
    const t = await newAccount(endpoint);
    const arn = await t.importCertificate(50, { keyAlgorithm: 'RSA_2048' });
    const thresholdsSeen: (number | null)[] = [];
    const walk = [50, 44.5, 44, 31, 29.5, 29, 13.5, 13, 6.5, 6, 2.5, 2, 0.5, 0.25, -0.5, -2];
    let previous = 50;

    // Act: two sweeps at each point; the second must never alert.
    for (const daysLeft of walk) {
      endpoint.clock.advance((previous - daysLeft) * DAY);
      previous = daysLeft;
      const first = await t.sweep();
      const second = await t.sweep();
      expect(second.examined.filter((e) => e.alerted)).toEqual([]);
      for (const e of first.examined) if (e.alerted) thresholdsSeen.push(e.finding.threshold);
    }

    // Assess
    expect(thresholdsSeen).toEqual([45, 30, 14, 7, 3, 1, 0]);
    const findings = await t.findings();
    expect(findings.map((f) => f.threshold)).toEqual([45, 30, 14, 7, 3, 1, 0]);
    expect(findings.at(-1)).toMatchObject({ certificateArn: arn, findingClass: 'EXPIRED' });
    const tags = await t.acm().send(new ListTagsForCertificateCommand({ CertificateArn: arn }));
    expect(tags.Tags).toEqual(expect.arrayContaining([{ Key: 'rekey:alerted-threshold', Value: '0' }]));
  });

  it('alerts again after a renewal once the renewed certificate crosses a threshold', async () => {
    const t = await newAccount(endpoint);
    const arn = await t.importCertificate(10, { keyAlgorithm: 'EC_prime256v1', slot: 2 });
    await t.sweep();
    await t.sweep();
    expect((await t.findings()).map((f) => f.threshold)).toEqual([14]);

    // Someone re-imports a renewed certificate (60 days) under the same ARN.
    const renewed = createTestCertificate({
      keyAlgorithm: 'EC_prime256v1',
      slot: 2,
      domainName: (await t.findings())[0]?.domainName,
      notBefore: new Date(now(endpoint).getTime() - 3600_000),
      notAfter: new Date(now(endpoint).getTime() + 60 * DAY),
    });
    await t.acm().send(new ImportCertificateCommand(importInput(renewed, { CertificateArn: arn })));
    await t.sweep();
    expect((await t.findings()).map((f) => f.threshold)).toEqual([14]);

    // 16 days later it is within 45 days: alerted again, for the new NotAfter.
    endpoint.clock.advance(16 * DAY);
    await t.sweep();
    const findings = await t.findings();
    expect(findings.map((f) => f.threshold)).toEqual([14, 45]);
    expect(findings[1]?.notAfter).toBe(
      new Date(Math.floor(renewed.notAfter.getTime() / 1000) * 1000).toISOString(),
    );
  });

  it('re-imports an imported certificate from its source secret when the secret holds a newer one', async () => {
    // Prepare: a certificate issued by a test CA, 9 days left; its renewal (same key) in a secret.
    const t = await newAccount(endpoint);
    const root = createTestCa({ keyAlgorithm: 'RSA_4096', commonName: 'rekey source root CA', slot: 101 });
    const ca = createTestCa({
      keyAlgorithm: 'RSA_2048',
      commonName: 'rekey source issuing CA',
      parent: root,
      slot: 102,
    });
    const domainName = `shop${Date.now()}.rekey.example`;
    const at = now(endpoint);
    const renewed = createTestCertificate({
      keyAlgorithm: 'RSA_2048',
      slot: 3,
      domainName,
      issuer: ca,
      notBefore: new Date(at.getTime() - 3600_000),
      notAfter: new Date(at.getTime() + 90 * DAY),
    });
    const secrets = new SecretsManagerClient({
      endpoint: endpoint.url,
      credentials: t.credentials,
      region: 'eu-west-1',
    });
    const secret = await secrets.send(
      new CreateSecretCommand({
        Name: `certs/${domainName}`,
        // The deployed function reads only source secrets tagged so (CertificateSourceSecrets).
        Tags: SOURCE_TAGS,
        SecretString: JSON.stringify({
          certificate: renewed.certificatePem,
          privateKey: renewed.privateKeyPem,
          chain: renewed.chainPem,
        }),
      }),
    );
    const arn = await t.importCertificate(9, {
      keyAlgorithm: 'RSA_2048',
      slot: 3,
      domainName,
      issuer: ca,
      tags: [{ Key: 'rekey:source-secret', Value: secret.ARN ?? '' }],
    });

    // Act
    const sweep = await t.sweep();

    // Assess: same ARN, the renewed certificate, and a finding that says no action is needed.
    const finding = sweep.examined[0]?.finding;
    expect(finding).toMatchObject({
      certificateArn: arn,
      renewalAttempted: true,
      renewalResult: 'REIMPORTED',
    });
    expect(finding?.action).toMatch(/No action needed/);
    const current = await t.acm().send(new GetCertificateCommand({ CertificateArn: arn }));
    expect(current.Certificate?.trim()).toBe(renewed.certificatePem.trim());
    expect((await t.notAfter(arn))?.getTime()).toBe(Math.floor(renewed.notAfter.getTime() / 1000) * 1000);
    // The published finding carries no key material.
    const published = JSON.stringify(await t.findings());
    expect(published).not.toContain('PRIVATE KEY');
    expect(published).not.toContain('BEGIN CERTIFICATE');

    // A second sweep finds the certificate healthy: nothing to do.
    const again = await t.sweep();
    expect(again.examined).toEqual([]);
  });

  it('reports, without re-importing, a source secret that is not newer or whose key does not match', async () => {
    const t = await newAccount(endpoint);
    const secrets = new SecretsManagerClient({
      endpoint: endpoint.url,
      credentials: t.credentials,
      region: 'us-east-1',
    });
    const at = now(endpoint);
    const older = createTestCertificate({
      keyAlgorithm: 'RSA_2048',
      slot: 4,
      domainName: 'old.rekey.example',
      notBefore: new Date(at.getTime() - 3600_000),
      notAfter: new Date(at.getTime() + 5 * DAY),
    });
    const otherKey = createTestCertificate({
      keyAlgorithm: 'RSA_2048',
      slot: 5,
      domainName: 'old.rekey.example',
    });
    const stale = await secrets.send(
      new CreateSecretCommand({
        Name: `stale-${t.account}`,
        // The deployed function reads only source secrets tagged so (CertificateSourceSecrets).
        Tags: SOURCE_TAGS,
        SecretString: JSON.stringify({ certificate: older.certificatePem, privateKey: older.privateKeyPem }),
      }),
    );
    const mismatched = await secrets.send(
      new CreateSecretCommand({
        Name: `mismatched-${t.account}`,
        // The deployed function reads only source secrets tagged so (CertificateSourceSecrets).
        Tags: SOURCE_TAGS,
        SecretString: JSON.stringify({
          certificate: createTestCertificate({
            keyAlgorithm: 'RSA_2048',
            slot: 4,
            domainName: 'old.rekey.example',
            notAfter: new Date(at.getTime() + 90 * DAY),
          }).certificatePem,
          privateKey: otherKey.privateKeyPem,
        }),
      }),
    );
    const staleArn = await t.importCertificate(10, {
      keyAlgorithm: 'RSA_2048',
      slot: 4,
      domainName: 'old.rekey.example',
      tags: [{ Key: 'rekey:source-secret', Value: stale.ARN ?? '' }],
    });
    const mismatchedArn = await t.importCertificate(10, {
      keyAlgorithm: 'RSA_2048',
      slot: 4,
      domainName: 'old.rekey.example',
      tags: [{ Key: 'rekey:source-secret', Value: mismatched.ARN ?? '' }],
    });

    const sweep = await t.sweep();

    const byArn = new Map(sweep.examined.map((e) => [e.finding.certificateArn, e.finding]));
    expect(byArn.get(staleArn)).toMatchObject({
      renewalResult: 'NO_NEWER_CERTIFICATE',
      findingClass: 'IMPORTED',
    });
    expect(byArn.get(mismatchedArn)).toMatchObject({ renewalResult: 'FAILED', findingClass: 'IMPORTED' });
    expect(byArn.get(mismatchedArn)?.renewalMessage).toMatch(/privateKey does not belong to the certificate/);
    expect(JSON.stringify([...byArn.values()])).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    expect((await t.notAfter(mismatchedArn))?.getTime()).toBeLessThan(at.getTime() + 11 * DAY);
  });
});
