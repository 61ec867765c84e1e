import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACMClient,
  AddTagsToCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ExportCertificateCommand,
  GetAccountConfigurationCommand,
  GetCertificateCommand,
  ImportCertificateCommand,
  InvalidArnException,
  InvalidTagException,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  PutAccountConfigurationCommand,
  RemoveTagsFromCertificateCommand,
  RenewCertificateCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  TooManyTagsException,
  ValidationException,
} from '@aws-sdk/client-acm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminFetch, adminUrl } from '../../../local/core/admin-client.js';
// Runs against AWS_ENDPOINT_URL when set (see target.ts); `itLocal` tests need this endpoint's
// admin seeding (Amazon-issued and private certificates in given states), clock or accounts.
import { Clock } from '../../../local/server.js';
import { createAcm } from '../../../local/services/acm/index.js';
import type { RequestContext } from '../../../local/types.js';
import {
  createTestCa,
  createTestCertificate,
  createTestChain,
  importInput,
  type KeyAlgorithm,
  testKeyPair,
} from '../../helpers/certificates.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { itLocal, openTarget, type Target } from './target.js';

const ACCOUNT = '210987654321';
const REGION = 'eu-west-3';
const DAY_MS = 24 * 3600 * 1000;

let target: Target;
/** The local endpoint: used only by `itLocal` tests (admin seeding, clock, other accounts). */
let endpoint: TestEndpoint;
let acm: ACMClient;

const clientFor = (region: string, account = ACCOUNT) =>
  new ACMClient({
    endpoint: endpoint.url,
    region,
    credentials: { accessKeyId: account, secretAccessKey: 'x' },
    maxAttempts: 1,
  });

/** Calls an admin route of the local ACM as `account` in `region`. */
const admin = async (route: string, body: unknown, region = REGION, account = ACCOUNT) => {
  // The raw route, not the typed client: these tests send bodies the route must refuse.
  const response = await adminFetch(
    adminUrl({ endpointUrl: endpoint.url, region, account }, `CertificateManager/${route}`),
    body,
  );
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${route}: ${String(json.__type)}: ${String(json.message)}`);
  return json;
};

const seed = async (body: Record<string, unknown>, region = REGION) =>
  (await admin('seed', body, region)).CertificateArn as string;

const inDays = (days: number) => new Date(Date.now() + days * DAY_MS);

const describeArn = async (arn: string, client = acm) =>
  (await client.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate;

const allKeyTypes: KeyAlgorithm[] = [
  'RSA_1024',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'EC_prime256v1',
  'EC_secp384r1',
  'EC_secp521r1',
];

const listAll = async (
  client: ACMClient,
  input: ConstructorParameters<typeof ListCertificatesCommand>[0] = {},
) => {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListCertificatesCommand({ ...input, NextToken: token }));
    arns.push(...(page.CertificateSummaryList ?? []).map((s) => s.CertificateArn ?? ''));
    token = page.NextToken;
  } while (token);
  return arns;
};

beforeAll(async () => {
  target = await openTarget(REGION, ACCOUNT);
  endpoint = target.local as TestEndpoint;
  acm = new ACMClient({ ...target.clientConfig, maxAttempts: 1 });
});

afterAll(async () => {
  acm?.destroy();
  await target?.close();
});

describe('ImportCertificate', () => {
  itLocal.each(['RSA_2048', 'RSA_4096', 'EC_prime256v1', 'EC_secp384r1'] as const)(
    'imports a self-signed %s certificate and reports what the certificate says',
    async (keyAlgorithm) => {
      const cert = createTestCertificate({
        keyAlgorithm,
        domainName: 'api.import.example',
        subjectAlternativeNames: ['api.import.example', 'www.import.example'],
        notAfter: inDays(60),
      });

      const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(cert)));
      const detail = await describeArn(CertificateArn ?? '');
      const parsed = new X509Certificate(cert.certificatePem);

      expect(CertificateArn).toMatch(
        new RegExp(`^arn:aws:acm:${REGION}:${ACCOUNT}:certificate/[0-9a-f-]{36}$`),
      );
      expect(detail).toMatchObject({
        Type: 'IMPORTED',
        Status: 'ISSUED',
        KeyAlgorithm: keyAlgorithm.replace('_', '-'),
        DomainName: 'api.import.example',
        SubjectAlternativeNames: ['api.import.example', 'www.import.example'],
        RenewalEligibility: 'INELIGIBLE',
        InUseBy: [],
        Serial: (parsed.serialNumber.toLowerCase().match(/../g) ?? []).join(':'),
      });
      expect(detail?.NotAfter?.getTime()).toBe(new Date(parsed.validTo).getTime());
      expect(detail?.SignatureAlgorithm).toEqual(
        keyAlgorithm.startsWith('RSA') ? 'SHA256WITHRSA' : expect.stringContaining('ECDSA'),
      );
      expect(detail?.KeyUsages?.map((k) => k.Name)).toContain('DIGITAL_SIGNATURE');
      expect(detail?.ExtendedKeyUsages?.map((k) => k.Name)).toContain('TLS_WEB_SERVER_AUTHENTICATION');
      const got = await acm.send(new GetCertificateCommand({ CertificateArn }));
      expect(got.Certificate?.trim()).toBe(cert.certificatePem.trim());
    },
  );

  it('imports a CA-signed certificate with its chain and returns the chain', async () => {
    const { intermediate } = createTestChain('EC_prime256v1');
    const cert = createTestCertificate({
      keyAlgorithm: 'EC_prime256v1',
      domainName: 'chain.example',
      issuer: intermediate,
    });

    const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(cert)));
    const detail = await describeArn(CertificateArn ?? '');
    const got = await acm.send(new GetCertificateCommand({ CertificateArn }));

    expect(detail?.Issuer).toBe(`CN=${intermediate.subject.commonName},O=rekey tests`);
    const chain = (got.CertificateChain ?? '').match(
      /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g,
    );
    expect(chain).toHaveLength(2);
    const leaf = new X509Certificate(got.Certificate ?? '');
    expect(leaf.verify(new X509Certificate(chain?.[0] ?? '').publicKey)).toBe(true);
  });

  it('rejects a chain that did not issue the certificate', async () => {
    const other = createTestCa({ commonName: 'unrelated CA', slot: 7 });
    const { intermediate } = createTestChain('RSA_2048');
    const cert = createTestCertificate({ domainName: 'wrong-chain.example', issuer: intermediate });

    const attempt = acm.send(
      new ImportCertificateCommand({ ...importInput(cert), CertificateChain: Buffer.from(other.chainPem) }),
    );

    await expect(attempt).rejects.toBeInstanceOf(ValidationException);
    await expect(attempt).rejects.toThrow(/chain/);
  });

  it('imports an ECDSA certificate signed by an RSA CA: the import prerequisites set no such rule', async () => {
    const rsaCa = createTestCa({ keyAlgorithm: 'RSA_2048' });
    const cert = createTestCertificate({
      keyAlgorithm: 'EC_prime256v1',
      domainName: 'mixed.example',
      issuer: rsaCa,
    });

    const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(cert)));
    const detail = await describeArn(CertificateArn ?? '');

    expect(detail?.KeyAlgorithm).toBe('EC-prime256v1');
    expect(detail?.SignatureAlgorithm).toMatch(/RSA/);
  });

  itLocal('re-imports under the same ARN, keeping tags and replacing the certificate', async () => {
    const first = createTestCertificate({ domainName: 'reimport.example', notAfter: inDays(10) });
    const { CertificateArn } = await acm.send(
      new ImportCertificateCommand(importInput(first, { Tags: [{ Key: 'owner', Value: 'team-a' }] })),
    );
    const second = createTestCertificate({ domainName: 'reimport.example', notAfter: inDays(200), slot: 3 });

    const again = await acm.send(new ImportCertificateCommand(importInput(second, { CertificateArn })));
    const detail = await describeArn(CertificateArn ?? '');
    const tags = await acm.send(new ListTagsForCertificateCommand({ CertificateArn }));
    const got = await acm.send(new GetCertificateCommand({ CertificateArn }));

    expect(again.CertificateArn).toBe(CertificateArn);
    expect(detail?.NotAfter?.getTime()).toBe(Math.floor(second.notAfter.getTime() / 1000) * 1000);
    expect(tags.Tags).toEqual([{ Key: 'owner', Value: 'team-a' }]);
    expect(got.Certificate?.trim()).toBe(second.certificatePem.trim());
  });

  it('refuses tags on re-import', async () => {
    const cert = createTestCertificate({ domainName: 'reimport-tags.example' });
    const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(cert)));

    await expect(
      acm.send(
        new ImportCertificateCommand(importInput(cert, { CertificateArn, Tags: [{ Key: 'k', Value: 'v' }] })),
      ),
    ).rejects.toThrow(/Tags cannot be applied when re-importing/);
  });

  it('rejects a re-import with a different key type and keeps the original', async () => {
    const rsa = createTestCertificate({ keyAlgorithm: 'RSA_2048', domainName: 'keytype.example' });
    const { CertificateArn } = await acm.send(new ImportCertificateCommand(importInput(rsa)));
    const ec = createTestCertificate({ keyAlgorithm: 'EC_prime256v1', domainName: 'keytype.example' });

    const attempt = acm.send(new ImportCertificateCommand(importInput(ec, { CertificateArn })));

    await expect(attempt).rejects.toBeInstanceOf(ValidationException);
    await expect(attempt).rejects.toThrow(/EC_prime256v1 differs from RSA_2048/);
    expect((await describeArn(CertificateArn ?? ''))?.KeyAlgorithm).toBe('RSA-2048');
  });

  itLocal('rejects an expired certificate and one that is not valid yet', async () => {
    const expired = createTestCertificate({
      notBefore: inDays(-30),
      notAfter: inDays(-1),
      domainName: 'expired.example',
    });
    const future = createTestCertificate({
      notBefore: inDays(2),
      notAfter: inDays(30),
      domainName: 'future.example',
    });

    await expect(acm.send(new ImportCertificateCommand(importInput(expired)))).rejects.toThrow(/expired/);
    await expect(acm.send(new ImportCertificateCommand(importInput(future)))).rejects.toThrow(
      /not valid yet/,
    );
  });

  it('rejects a private key that does not match the certificate', async () => {
    const cert = createTestCertificate({ domainName: 'mismatch.example' });
    const otherKey = testKeyPair('RSA_2048', 5)
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();

    const attempt = acm.send(
      new ImportCertificateCommand({ ...importInput(cert), PrivateKey: Buffer.from(otherKey) }),
    );

    await expect(attempt).rejects.toBeInstanceOf(ValidationException);
    await expect(attempt).rejects.toThrow(/does not match/);
  });

  it('rejects an encrypted private key and a Certificate field holding two certificates', async () => {
    const cert = createTestCertificate({ domainName: 'encrypted.example' });
    const encrypted = createPrivateKey(cert.privateKeyPem)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass' })
      .toString();

    await expect(
      acm.send(new ImportCertificateCommand({ ...importInput(cert), PrivateKey: Buffer.from(encrypted) })),
    ).rejects.toThrow(/encrypted/);
    await expect(
      acm.send(
        new ImportCertificateCommand({
          ...importInput(cert),
          Certificate: Buffer.from(cert.certificatePem + cert.certificatePem),
        }),
      ),
    ).rejects.toThrow(/more than one certificate/);
  });

  itLocal('sees an imported certificate expire when the endpoint clock passes NotAfter', async () => {
    const clock = new Clock();
    const service = createAcm({ clock });
    const cert = createTestCertificate({ domainName: 'clock.example', notAfter: inDays(5) });
    const ctx = (): RequestContext => ({
      accountId: ACCOUNT,
      region: REGION,
      accessKeyId: ACCOUNT,
      identityArn: `arn:aws:iam::${ACCOUNT}:user/${ACCOUNT}`,
      requestId: 'r',
      now: clock.now(),
    });
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const { CertificateArn } = (await service.handle(
      'ImportCertificate',
      { Certificate: b64(cert.certificatePem), PrivateKey: b64(cert.privateKeyPem) },
      ctx(),
    )) as { CertificateArn: string };

    clock.advance(6 * DAY_MS);
    const detail = (await service.handle('DescribeCertificate', { CertificateArn }, ctx())) as {
      Certificate: { Status: string };
    };

    expect(detail.Certificate.Status).toBe('EXPIRED');
  });
});

// These need a Region holding only their certificates: a fresh local endpoint.
describe('ListCertificates', () => {
  const region = 'ap-southeast-2';
  let client: ACMClient;
  const arns = new Map<KeyAlgorithm, string>();

  beforeAll(async () => {
    if (!target.local) return;
    client = clientFor(region);
    for (const keyAlgorithm of ['RSA_2048', 'RSA_4096', 'EC_prime256v1', 'EC_secp384r1'] as const) {
      const cert = createTestCertificate({
        keyAlgorithm,
        domainName: `${keyAlgorithm.toLowerCase()}.list.example`,
      });
      const { CertificateArn } = await client.send(new ImportCertificateCommand(importInput(cert)));
      arns.set(keyAlgorithm, CertificateArn ?? '');
    }
  });

  afterAll(() => client?.destroy());

  itLocal('lists only RSA_1024 and RSA_2048 certificates by default, as AWS does', async () => {
    const listed = await listAll(client);

    expect(listed).toEqual([arns.get('RSA_2048')]);
  });

  itLocal('lists the other key types when Includes.keyTypes names them', async () => {
    const listed = await listAll(client, { Includes: { keyTypes: allKeyTypes } });
    const onlyEc = await listAll(client, { Includes: { keyTypes: ['EC_prime256v1', 'EC_secp384r1'] } });

    expect(listed.sort()).toEqual([...arns.values()].sort());
    expect(onlyEc.sort()).toEqual([arns.get('EC_prime256v1'), arns.get('EC_secp384r1')].sort());
  });

  itLocal('carries the summary fields the sweep relies on', async () => {
    const page = await client.send(new ListCertificatesCommand({ Includes: { keyTypes: ['RSA_4096'] } }));
    const summary = page.CertificateSummaryList?.[0];

    expect(summary).toMatchObject({
      CertificateArn: arns.get('RSA_4096'),
      DomainName: 'rsa_4096.list.example',
      SubjectAlternativeNameSummaries: ['rsa_4096.list.example'],
      HasAdditionalSubjectAlternativeNames: false,
      Status: 'ISSUED',
      Type: 'IMPORTED',
      KeyAlgorithm: 'RSA-4096',
      InUse: false,
      Exported: false,
      RenewalEligibility: 'INELIGIBLE',
    });
    expect(summary?.NotAfter).toBeInstanceOf(Date);
    expect(summary?.ImportedAt).toBeInstanceOf(Date);
  });

  itLocal('pages past 1,000 certificates with MaxItems 1000 and NextToken', async () => {
    const bulkRegion = 'ca-central-1';
    const bulk = clientFor(bulkRegion);
    const created = (await admin(
      'bulk-seed',
      {
        count: 1200,
        type: 'AMAZON_ISSUED',
        domainName: 'host-{n}.bulk.example',
        notAfter: inDays(300).toISOString(),
      },
      bulkRegion,
    )) as { CertificateArns: string[] };

    const first = await bulk.send(new ListCertificatesCommand({ MaxItems: 1000 }));
    const second = await bulk.send(
      new ListCertificatesCommand({ MaxItems: 1000, NextToken: first.NextToken }),
    );
    const listed = [...(first.CertificateSummaryList ?? []), ...(second.CertificateSummaryList ?? [])];

    expect(first.CertificateSummaryList).toHaveLength(1000);
    expect(first.NextToken).toEqual(expect.any(String));
    expect(second.CertificateSummaryList).toHaveLength(200);
    // The token resumes after the first page: no certificate is listed twice.
    expect(new Set(listed.map((s) => s.CertificateArn)).size).toBe(1200);
    expect(second.NextToken).toBeUndefined();
    expect(new Set(listed.map((s) => s.CertificateArn))).toEqual(new Set(created.CertificateArns));
    await expect(bulk.send(new ListCertificatesCommand({ MaxItems: 1001 }))).rejects.toBeInstanceOf(
      ValidationException,
    );
    bulk.destroy();
  });

  itLocal('filters by CertificateStatuses, reporting past-NotAfter certificates as EXPIRED', async () => {
    const statusRegion = 'sa-east-1';
    const client2 = clientFor(statusRegion);
    const issued = await seed(
      { type: 'AMAZON_ISSUED', domainName: 'ok.status.example', notAfter: inDays(90).toISOString() },
      statusRegion,
    );
    const expired = await seed(
      { type: 'AMAZON_ISSUED', domainName: 'old.status.example', notAfter: inDays(-2).toISOString() },
      statusRegion,
    );
    const pending = await seed(
      {
        type: 'AMAZON_ISSUED',
        domainName: 'new.status.example',
        notAfter: inDays(90).toISOString(),
        status: 'PENDING_VALIDATION',
      },
      statusRegion,
    );

    expect(await listAll(client2, { CertificateStatuses: ['EXPIRED'] })).toEqual([expired]);
    expect(await listAll(client2, { CertificateStatuses: ['ISSUED'] })).toEqual([issued]);
    expect(
      (await listAll(client2, { CertificateStatuses: ['PENDING_VALIDATION', 'EXPIRED'] })).sort(),
    ).toEqual([expired, pending].sort());
    client2.destroy();
  });

  itLocal('sorts by CREATED_AT and requires SortOrder with SortBy', async () => {
    const ascending = await listAll(client, {
      Includes: { keyTypes: allKeyTypes },
      SortBy: 'CREATED_AT',
      SortOrder: 'ASCENDING',
    });
    const descending = await listAll(client, {
      Includes: { keyTypes: allKeyTypes },
      SortBy: 'CREATED_AT',
      SortOrder: 'DESCENDING',
    });

    expect(descending).toEqual([...ascending].reverse());
    await expect(client.send(new ListCertificatesCommand({ SortBy: 'CREATED_AT' }))).rejects.toThrow(
      /SortOrder/,
    );
  });
});

describe('seeded Amazon-issued and private certificates', () => {
  itLocal('describes an Amazon-issued certificate in use as eligible for renewal, with InUseBy', async () => {
    const loadBalancer = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/web/1234567890abcdef`;
    const arn = await seed({
      type: 'AMAZON_ISSUED',
      domainName: 'shop.example',
      subjectAlternativeNames: ['*.shop.example'],
      notAfter: inDays(40).toISOString(),
      inUseBy: [loadBalancer],
      renewalStatus: 'PENDING_AUTO_RENEWAL',
    });

    const detail = await describeArn(arn);

    expect(detail).toMatchObject({
      Type: 'AMAZON_ISSUED',
      Status: 'ISSUED',
      InUseBy: [loadBalancer],
      RenewalEligibility: 'ELIGIBLE',
      SubjectAlternativeNames: ['shop.example', '*.shop.example'],
      RenewalSummary: { RenewalStatus: 'PENDING_AUTO_RENEWAL' },
    });
    expect(detail?.DomainValidationOptions?.map((d) => d.ValidationStatus)).toEqual(['SUCCESS', 'SUCCESS']);
  });

  itLocal('describes one not in use as ineligible', async () => {
    const arn = await seed({
      type: 'AMAZON_ISSUED',
      domainName: 'idle.example',
      notAfter: inDays(20).toISOString(),
    });

    const detail = await describeArn(arn);

    expect(detail?.InUseBy).toEqual([]);
    expect(detail?.RenewalEligibility).toBe('INELIGIBLE');
  });

  itLocal('gives the DNS records to fix when renewal waits for validation', async () => {
    const arn = await seed({
      type: 'AMAZON_ISSUED',
      domainName: 'pending.example',
      subjectAlternativeNames: ['*.pending.example'],
      notAfter: inDays(25).toISOString(),
      inUseBy: ['arn:aws:cloudfront::210987654321:distribution/E2EXAMPLE'],
      renewalStatus: 'PENDING_VALIDATION',
    });

    const renewal = (await describeArn(arn))?.RenewalSummary;
    const records = renewal?.DomainValidationOptions?.map((d) => d.ResourceRecord);

    expect(renewal?.RenewalStatus).toBe('PENDING_VALIDATION');
    expect(renewal?.DomainValidationOptions?.map((d) => d.ValidationStatus)).toEqual([
      'PENDING_VALIDATION',
      'PENDING_VALIDATION',
    ]);
    expect(records?.[0]).toMatchObject({
      Type: 'CNAME',
      Name: expect.stringMatching(/^_[0-9a-f]{32}\.pending\.example\.$/),
    });
    expect(records?.[0]?.Value).toMatch(/\.acm-validations\.aws\.$/);
    expect(renewal?.UpdatedAt).toBeInstanceOf(Date);
  });

  itLocal('reports a failed renewal with its reason, and e-mail validation addresses', async () => {
    const arn = await seed({
      type: 'AMAZON_ISSUED',
      domainName: 'failed.example',
      notAfter: inDays(5).toISOString(),
      inUseBy: ['arn:aws:apigateway:eu-west-3::/domainnames/failed.example'],
      renewalStatus: 'FAILED',
      renewalStatusReason: 'CAA_ERROR',
      validationMethod: 'EMAIL',
    });

    const renewal = (await describeArn(arn))?.RenewalSummary;

    expect(renewal).toMatchObject({ RenewalStatus: 'FAILED', RenewalStatusReason: 'CAA_ERROR' });
    expect(renewal?.DomainValidationOptions?.[0]?.ValidationEmails).toContain('admin@failed.example');
  });

  itLocal('changes use and renewal state through set-state', async () => {
    const arn = await seed({
      type: 'AMAZON_ISSUED',
      domainName: 'later.example',
      notAfter: inDays(30).toISOString(),
    });

    await admin('set-state', {
      CertificateArn: arn,
      inUseBy: ['arn:aws:elasticloadbalancing:x'],
      renewalStatus: 'FAILED',
      renewalStatusReason: 'DOMAIN_VALIDATION_DENIED',
    });
    const detail = await describeArn(arn);

    expect(detail?.RenewalEligibility).toBe('ELIGIBLE');
    expect(detail?.RenewalSummary).toMatchObject({
      RenewalStatus: 'FAILED',
      RenewalStatusReason: 'DOMAIN_VALIDATION_DENIED',
    });
    await expect(admin('set-state', { CertificateArn: arn, colour: 'blue' })).rejects.toThrow(
      /Unknown field/,
    );
  });

  itLocal(
    'serves a real private certificate signed by the private CA named in CertificateAuthorityArn',
    async () => {
      const arn = await seed({
        type: 'PRIVATE',
        domainName: 'internal.corp',
        keyAlgorithm: 'EC_prime256v1',
        notAfter: inDays(12).toISOString(),
      });

      const detail = await describeArn(arn);
      const got = await acm.send(new GetCertificateCommand({ CertificateArn: arn }));
      const leaf = new X509Certificate(got.Certificate ?? '');
      const ca = new X509Certificate(got.CertificateChain ?? '');

      expect(detail?.Type).toBe('PRIVATE');
      expect(detail?.CertificateAuthorityArn).toMatch(
        new RegExp(`^arn:aws:acm-pca:${REGION}:${ACCOUNT}:certificate-authority/`),
      );
      expect(detail?.RenewalEligibility).toBe('ELIGIBLE');
      expect(leaf.verify(ca.publicKey)).toBe(true);
      expect(leaf.subject).toBe('CN=internal.corp');
      expect(new Date(leaf.validTo).getTime()).toBe(detail?.NotAfter?.getTime());
      expect((leaf.serialNumber.toLowerCase().match(/../g) ?? []).join(':')).toBe(detail?.Serial);
    },
  );

  itLocal('rejects a seed without notAfter, naming the field', async () => {
    await expect(seed({ type: 'AMAZON_ISSUED', domainName: 'x.example' })).rejects.toThrow(
      /notAfter is required/,
    );
  });
});

describe('RenewCertificate', () => {
  itLocal(
    'renews a private certificate under the same ARN with a new validity period and key algorithm',
    async () => {
      const arn = await seed({
        type: 'PRIVATE',
        domainName: 'renew.corp',
        keyAlgorithm: 'EC_secp384r1',
        notBefore: inDays(-380).toISOString(),
        notAfter: inDays(15).toISOString(),
      });
      const before = await describeArn(arn);

      await acm.send(new RenewCertificateCommand({ CertificateArn: arn }));
      const after = await describeArn(arn);
      const got = await acm.send(new GetCertificateCommand({ CertificateArn: arn }));
      const leaf = new X509Certificate(got.Certificate ?? '');

      expect(after?.CertificateArn).toBe(arn);
      expect(after?.KeyAlgorithm).toBe('EC-secp384r1');
      expect(after?.NotAfter?.getTime()).toBeGreaterThan((before?.NotAfter?.getTime() ?? 0) + 300 * DAY_MS);
      expect(after?.Serial).not.toBe(before?.Serial);
      expect(after?.RenewalSummary?.RenewalStatus).toBe('SUCCESS');
      expect(new Date(leaf.validTo).getTime()).toBe(after?.NotAfter?.getTime());
      expect(leaf.verify(new X509Certificate(got.CertificateChain ?? '').publicKey)).toBe(true);
    },
  );

  itLocal('refuses Amazon-issued and imported certificates', async () => {
    const amazon = await seed({
      type: 'AMAZON_ISSUED',
      domainName: 'public.example',
      notAfter: inDays(10).toISOString(),
      inUseBy: ['x'],
    });
    const cert = createTestCertificate({ domainName: 'imported-renew.example' });
    const { CertificateArn: imported } = await acm.send(new ImportCertificateCommand(importInput(cert)));

    await expect(acm.send(new RenewCertificateCommand({ CertificateArn: amazon }))).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(acm.send(new RenewCertificateCommand({ CertificateArn: imported }))).rejects.toThrow(
      /only private certificates/,
    );
  });
});

describe('tags, ARNs and deletion', () => {
  itLocal('adds, overwrites, lists and removes tags', async () => {
    const arn = await seed({
      type: 'AMAZON_ISSUED',
      domainName: 'tags.example',
      notAfter: inDays(30).toISOString(),
    });

    await acm.send(
      new AddTagsToCertificateCommand({
        CertificateArn: arn,
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      }),
    );
    await acm.send(
      new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'a', Value: '3' }] }),
    );
    await acm.send(
      new RemoveTagsFromCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'b', Value: 'not-2' }] }),
    );
    const kept = await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }));
    await acm.send(new RemoveTagsFromCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'b' }] }));
    const afterRemove = await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }));

    expect(kept.Tags).toEqual([
      { Key: 'a', Value: '3' },
      { Key: 'b', Value: '2' },
    ]);
    expect(afterRemove.Tags).toEqual([{ Key: 'a', Value: '3' }]);
  });

  itLocal('rejects reserved tag keys and more than 50 tags', async () => {
    const arn = await seed({
      type: 'AMAZON_ISSUED',
      domainName: 'many-tags.example',
      notAfter: inDays(30).toISOString(),
    });
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));

    await expect(
      acm.send(
        new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'aws:owner', Value: 'x' }] }),
      ),
    ).rejects.toBeInstanceOf(InvalidTagException);
    await acm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: fifty }));
    await expect(
      acm.send(
        new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'one-more', Value: 'x' }] }),
      ),
    ).rejects.toBeInstanceOf(TooManyTagsException);
  });

  itLocal(
    'answers InvalidArnException for a malformed ARN and ResourceNotFoundException for an unknown one',
    async () => {
      const unknown = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000`;
      const arn = await seed({
        type: 'AMAZON_ISSUED',
        domainName: 'elsewhere.example',
        notAfter: inDays(30).toISOString(),
      });

      await expect(describeArn('not-an-arn-but-long-enough')).rejects.toBeInstanceOf(InvalidArnException);
      await expect(describeArn(unknown)).rejects.toBeInstanceOf(ResourceNotFoundException);
      const otherRegion = clientFor('us-west-2');
      await expect(describeArn(arn, otherRegion)).rejects.toBeInstanceOf(ResourceNotFoundException);
      otherRegion.destroy();
    },
  );

  itLocal('refuses to delete a certificate in use, and deletes it once unused', async () => {
    const arn = await seed({
      type: 'AMAZON_ISSUED',
      domainName: 'inuse.example',
      notAfter: inDays(30).toISOString(),
      inUseBy: ['arn:aws:elasticloadbalancing:y'],
    });

    await expect(acm.send(new DeleteCertificateCommand({ CertificateArn: arn }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
    await admin('set-state', { CertificateArn: arn, inUseBy: [] });
    await acm.send(new DeleteCertificateCommand({ CertificateArn: arn }));

    await expect(describeArn(arn)).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('account configuration', () => {
  itLocal('defaults to 45 days, stores a new value and honours the idempotency token', async () => {
    const client = clientFor('eu-north-1');
    const initial = await client.send(new GetAccountConfigurationCommand({}));

    await client.send(
      new PutAccountConfigurationCommand({
        ExpiryEvents: { DaysBeforeExpiry: 30 },
        IdempotencyToken: 'first',
      }),
    );
    await client.send(
      new PutAccountConfigurationCommand({
        ExpiryEvents: { DaysBeforeExpiry: 7 },
        IdempotencyToken: 'first',
      }),
    );
    const after = await client.send(new GetAccountConfigurationCommand({}));

    expect(initial.ExpiryEvents?.DaysBeforeExpiry).toBe(45);
    expect(after.ExpiryEvents?.DaysBeforeExpiry).toBe(30);
    client.destroy();
  });

  it.each([0, 46])('rejects DaysBeforeExpiry %i', async (days) => {
    await expect(
      acm.send(
        new PutAccountConfigurationCommand({
          ExpiryEvents: { DaysBeforeExpiry: days },
          IdempotencyToken: `t${days}`,
        }),
      ),
    ).rejects.toThrow(/between 1 and 45/);
  });
});

describe('quota emulation and call counting', () => {
  itLocal(
    'throttles DescribeCertificate with ThrottlingException once enabled, and counts calls',
    async () => {
      const region = 'eu-south-1';
      const client = clientFor(region);
      const arn = await seed(
        { type: 'AMAZON_ISSUED', domainName: 'throttle.example', notAfter: inDays(30).toISOString() },
        region,
      );
      await admin('calls', { reset: true });
      await admin('throttle', { operation: 'DescribeCertificate', perSecond: 10 });

      const results = await Promise.allSettled(Array.from({ length: 25 }, () => describeArn(arn, client)));
      const throttled = results.filter((r) => r.status === 'rejected');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const afterPause = await describeArn(arn, client);
      await admin('throttle', { operation: 'DescribeCertificate', perSecond: 0 });
      const calls = (await admin('calls', { reset: true })) as {
        Calls: Record<string, number>;
        Throttled: Record<string, number>;
        ByRegion: Record<string, Record<string, number>>;
      };

      expect(throttled.length).toBeGreaterThanOrEqual(14);
      expect(throttled.length).toBeLessThanOrEqual(15);
      const reason = (throttled[0] as PromiseRejectedResult).reason as { name: string; $retryable?: unknown };
      expect(reason.name).toBe('ThrottlingException');
      expect(afterPause?.CertificateArn).toBe(arn);
      expect(calls.Calls.DescribeCertificate).toBe(26);
      expect(calls.Throttled.DescribeCertificate).toBe(throttled.length);
      expect(calls.ByRegion[region]?.DescribeCertificate).toBe(26);
      client.destroy();
    },
  );

  itLocal('bulk-seeds 2,500 certificates quickly with correct summaries', async () => {
    const region = 'me-south-1';
    const client = clientFor(region);
    const started = performance.now();

    await admin(
      'bulk-seed',
      { count: 2500, type: 'PRIVATE', domainName: 'svc-{n}.bench.corp', notAfter: inDays(200).toISOString() },
      region,
    );
    const elapsed = performance.now() - started;
    const page = await client.send(new ListCertificatesCommand({ MaxItems: 1000 }));
    const names = new Set(page.CertificateSummaryList?.map((s) => s.DomainName));

    expect(elapsed).toBeLessThan(5000);
    expect(names.size).toBe(1000);
    expect(page.CertificateSummaryList?.[0]).toMatchObject({
      Type: 'PRIVATE',
      Status: 'ISSUED',
      KeyAlgorithm: 'RSA-2048',
    });
    client.destroy();
  });
});

describe('snapshot and restore', () => {
  itLocal('round-trips certificates with their PEM, key and state', async () => {
    const service = endpoint.services.find((s) => s.targetPrefix === 'CertificateManager');
    const cert = createTestCertificate({ domainName: 'snapshot.example', keyAlgorithm: 'EC_prime256v1' });
    const { CertificateArn } = await acm.send(
      new ImportCertificateCommand(importInput(cert, { Tags: [{ Key: 'team', Value: 'web' }] })),
    );
    const privateArn = await seed({
      type: 'PRIVATE',
      domainName: 'snap.corp',
      notAfter: inDays(20).toISOString(),
    });

    const copy = createAcm({ clock: endpoint.clock });
    copy.restore(JSON.parse(JSON.stringify(service?.snapshot())));
    const ctx: RequestContext = {
      accountId: ACCOUNT,
      region: REGION,
      accessKeyId: ACCOUNT,
      identityArn: 'x',
      requestId: 'r',
      now: new Date(),
    };
    const got = (await copy.handle('GetCertificate', { CertificateArn }, ctx)) as { Certificate: string };
    const tags = (await copy.handle('ListTagsForCertificate', { CertificateArn }, ctx)) as { Tags: unknown };
    await copy.handle('RenewCertificate', { CertificateArn: privateArn }, ctx);
    const renewed = (await copy.handle('GetCertificate', { CertificateArn: privateArn }, ctx)) as {
      Certificate: string;
      CertificateChain: string;
    };
    const original = await acm.send(new GetCertificateCommand({ CertificateArn: privateArn }));

    expect(got.Certificate.trim()).toBe(cert.certificatePem.trim());
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'web' }]);
    // The restored private CA still signs: the renewed certificate verifies against the original chain.
    expect(renewed.CertificateChain).toBe(original.CertificateChain);
    expect(
      new X509Certificate(renewed.Certificate).verify(
        new X509Certificate(renewed.CertificateChain).publicKey,
      ),
    ).toBe(true);
  });

  itLocal('survives a restart of the endpoint with --state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekey-acm-state-'));
    const stateFile = join(dir, 'state.json');
    const first = await startTestEndpoint({ stateFile });
    const firstClient = new ACMClient({
      endpoint: first.url,
      region: REGION,
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
    });
    const cert = createTestCertificate({ domainName: 'restart.example' });
    const { CertificateArn } = await firstClient.send(new ImportCertificateCommand(importInput(cert)));
    const before = await firstClient.send(new DescribeCertificateCommand({ CertificateArn }));
    firstClient.destroy();
    await first.close();

    const second = await startTestEndpoint({ stateFile });
    const secondClient = new ACMClient({
      endpoint: second.url,
      region: REGION,
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
    });
    const after = await secondClient.send(new DescribeCertificateCommand({ CertificateArn }));
    const got = await secondClient.send(new GetCertificateCommand({ CertificateArn }));
    secondClient.destroy();
    await second.close();
    await rm(dir, { recursive: true, force: true });

    expect(after.Certificate).toEqual(before.Certificate);
    expect(got.Certificate?.trim()).toBe(cert.certificatePem.trim());
  });
});

describe('ExportCertificate', () => {
  itLocal(
    'exports a private certificate with its key encrypted by the passphrase, and marks it exported',
    async () => {
      const arn = await seed({
        type: 'PRIVATE',
        domainName: 'export.private.example',
        notAfter: inDays(200).toISOString(),
      });
      const passphrase = Buffer.from('correct horse battery');
      const out = await acm.send(
        new ExportCertificateCommand({ CertificateArn: arn, Passphrase: passphrase }),
      );
      expect(out.PrivateKey).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      const key = createPrivateKey({ key: out.PrivateKey ?? '', passphrase });
      const certificate = new X509Certificate(out.Certificate ?? '');
      // The exported key is the certificate's key.
      expect(certificate.checkPrivateKey(key)).toBe(true);
      expect(() =>
        createPrivateKey({ key: out.PrivateKey ?? '', passphrase: Buffer.from('wrong pass') }),
      ).toThrow();
      expect(out.CertificateChain).toMatch(/BEGIN CERTIFICATE/);
      expect((await describeArn(arn))?.RenewalEligibility).toBe('ELIGIBLE');
      const listed = await acm.send(new ListCertificatesCommand({ Includes: { exportOption: 'ENABLED' } }));
      expect(listed.CertificateSummaryList?.find((c) => c.CertificateArn === arn)?.Exported).toBe(true);
    },
  );

  itLocal(
    'exports a public certificate requested as exportable, and refuses other public and imported ones',
    async () => {
      const notAfter = inDays(200).toISOString();
      const exportable = await seed({
        type: 'AMAZON_ISSUED',
        domainName: 'export.public.example',
        notAfter,
        export: 'ENABLED',
      });
      const passphrase = Buffer.from('pass-1234');
      const out = await acm.send(
        new ExportCertificateCommand({ CertificateArn: exportable, Passphrase: passphrase }),
      );
      expect(
        new X509Certificate(out.Certificate ?? '').checkPrivateKey(
          createPrivateKey({ key: out.PrivateKey ?? '', passphrase }),
        ),
      ).toBe(true);

      const plain = await seed({ type: 'AMAZON_ISSUED', domainName: 'noexport.public.example', notAfter });
      await expect(
        acm.send(new ExportCertificateCommand({ CertificateArn: plain, Passphrase: passphrase })),
      ).rejects.toThrow(/requested with Options Export ENABLED/);
      await expect(
        acm.send(
          new ExportCertificateCommand({ CertificateArn: exportable, Passphrase: Buffer.from('abc') }),
        ),
      ).rejects.toThrow(/passphrase/);
    },
  );
});
