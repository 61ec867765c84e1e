/**
 * The parts of `rekey status` / `rekey doctor` the local endpoint cannot exercise: a rotation
 * function that does not exist (the endpoint has no Lambda API), rotation on with no function,
 * and the certificate judgement at its edges. SDK clients are mocked.
 */
import { ACMClient, DescribeCertificateCommand, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { KMSClient, ListAliasesCommand } from '@aws-sdk/client-kms';
import { GetFunctionCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseSecretFilter } from '../../../cli/options.js';
import { createReportClients } from '../../../cli/report/clients.js';
import { certificateStatus } from '../../../cli/report/collect.js';
import { diagnose, shellArg } from '../../../cli/report/diagnose.js';
import { resolveTarget } from '../../../cli/target.js';

const sm = mockClient(SecretsManagerClient);
const lambda = mockClient(LambdaClient);
const kms = mockClient(KMSClient);
const acm = mockClient(ACMClient);

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf';
const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

beforeEach(() => {
  sm.reset();
  lambda.reset();
  kms.reset();
  acm.reset();
  kms.on(ListAliasesCommand).resolves({ Aliases: [] });
  acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [] });
});

const clients = () =>
  createReportClients(resolveTarget({}, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' }), {
    now: () => NOW,
  });
const options = {
  regions: ['eu-west-1'],
  stuckAfterSeconds: 3600,
  gracePeriodDays: 7,
  thresholds: [30, 7, 1],
};

describe('rekey doctor rotation-function checks', () => {
  it('reports a rotation function that does not exist, and rotation on with none set', async () => {
    sm.on(ListSecretsCommand).resolves({
      SecretList: [
        {
          ARN,
          Name: 'app/db',
          RotationEnabled: true,
          RotationLambdaARN: 'arn:aws:lambda:eu-west-1:123456789012:function:gone',
          SecretVersionsToStages: { v1: ['AWSCURRENT'] },
        },
        {
          ARN: `${ARN}x`,
          Name: 'app/no-function',
          RotationEnabled: true,
          SecretVersionsToStages: { v1: ['AWSCURRENT'] },
        },
      ],
    });
    lambda
      .on(GetFunctionCommand)
      .rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));

    const report = await diagnose(clients(), options);

    expect(report.problems.map((p) => [p.kind, p.resource])).toEqual([
      ['rotation-function-not-set', 'app/no-function'],
      ['rotation-function-missing', 'app/db'],
    ]);
    expect(report.problems[1]?.fix[0]).toBe(
      `aws secretsmanager rotate-secret --region eu-west-1 --secret-id ${ARN} --rotation-lambda-arn arn:aws:lambda:eu-west-1:123456789012:function:rekey-secret-rotation --no-rotate-immediately`,
    );
    expect(report.problems.every((p) => !p.safe)).toBe(true);
    expect(report.notes).toEqual([]);
  });

  it('notes, without reporting a problem, when it cannot ask whether the function exists', async () => {
    sm.on(ListSecretsCommand).resolves({
      SecretList: [
        {
          ARN,
          Name: 'app/db',
          RotationEnabled: true,
          RotationLambdaARN: 'arn:aws:lambda:eu-west-1:123456789012:function:maybe',
          SecretVersionsToStages: { v1: ['AWSCURRENT'] },
        },
      ],
    });
    lambda
      .on(GetFunctionCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    const report = await diagnose(clients(), options);

    expect(report.problems).toEqual([]);
    expect(report.notes).toEqual([
      'Could not check that rotation functions exist in eu-west-1 (lambda:GetFunction: not authorized).',
    ]);
  });
});

describe('certificateStatus', () => {
  const summary = (days: number) => ({
    CertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
    Status: 'ISSUED' as const,
    NotAfter: new Date(NOW.getTime() + days * DAY),
  });
  const detail = (days: number, extra: Record<string, unknown> = {}) => ({
    ...summary(days),
    DomainName: 'example.com',
    Type: 'AMAZON_ISSUED' as const,
    RenewalEligibility: 'ELIGIBLE' as const,
    InUseBy: ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1'],
    ...extra,
  });

  it('needs attention within the smallest threshold, warns within the others, and is OK beyond them', () => {
    expect(certificateStatus('eu-west-1', summary(0.5), detail(0.5), NOW, [30, 7, 1])).toMatchObject({
      severity: 'attention',
      daysToExpiry: 0,
    });
    expect(certificateStatus('eu-west-1', summary(5), detail(5), NOW, [30, 7, 1])).toMatchObject({
      severity: 'warning',
      finding: 'MANAGED_RENEWAL_PENDING',
      threshold: 7,
    });
    expect(certificateStatus('eu-west-1', summary(90), detail(90), NOW, [30, 7, 1])).toMatchObject({
      severity: 'ok',
      finding: 'OK',
      threshold: null,
    });
  });

  it('flags a failed renewal even beyond the largest threshold, and an expired certificate', () => {
    const failed = detail(90, {
      RenewalSummary: { RenewalStatus: 'FAILED', RenewalStatusReason: 'CAA_ERROR' },
    });
    expect(certificateStatus('eu-west-1', summary(90), failed, NOW, [30, 7, 1])).toMatchObject({
      severity: 'attention',
      finding: 'RENEWAL_FAILED',
    });
    expect(
      certificateStatus(
        'eu-west-1',
        { ...summary(-2), Status: 'EXPIRED' },
        detail(-2, { Status: 'EXPIRED' }),
        NOW,
        [30],
      ),
    ).toMatchObject({ severity: 'attention', finding: 'EXPIRED', daysToExpiry: -2 });
  });

  it('prints a new certificate from the same private CA for an expired private one, never a renewal it cannot have', async () => {
    const ca = 'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/ca-1';
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/abc';
    acm.on(ListCertificatesCommand).resolves({
      CertificateSummaryList: [
        { ...summary(-2), Status: 'EXPIRED', DomainName: 'internal.example', Type: 'PRIVATE' },
      ],
    });
    acm.on(DescribeCertificateCommand).resolves({
      Certificate: detail(-2, {
        Status: 'EXPIRED',
        Type: 'PRIVATE',
        DomainName: 'internal.example',
        CertificateAuthorityArn: ca,
      }),
    });
    sm.on(ListSecretsCommand).resolves({ SecretList: [] });

    const report = await diagnose(clients(), options);

    expect(report.problems.map((p) => [p.kind, p.fix])).toEqual([
      [
        'certificate-expired',
        [
          `aws acm request-certificate --region eu-west-1 --domain-name internal.example --certificate-authority-arn ${ca}`,
          `aws acm delete-certificate --region eu-west-1 --certificate-arn ${arn}`,
        ],
      ],
    ]);
  });

  it('does not count certificates that serve nothing', () => {
    const revoked = { ...detail(10), Status: 'REVOKED' as const };
    expect(
      certificateStatus('eu-west-1', { ...summary(10), Status: 'REVOKED' }, revoked, NOW, [30]),
    ).toMatchObject({
      severity: 'ok',
      finding: 'NOT_IN_SERVICE',
    });
  });
});

describe('option parsing', () => {
  it('parses tag and name-prefix filters, a tag value may hold = and :', () => {
    expect(parseSecretFilter(['tag:team=a=b:c', 'name-prefix:prod/'])).toEqual({
      tag: { key: 'team', value: 'a=b:c' },
      namePrefix: 'prod/',
    });
    expect(parseSecretFilter(undefined)).toEqual({});
    expect(() => parseSecretFilter(['tag:team'])).toThrow(/tag:KEY=VALUE needs a tag key/);
  });

  it('quotes shell arguments only when they need it', () => {
    expect(shellArg('arn:aws:secretsmanager:eu-west-1:1:secret:app/db-AbC')).toBe(
      'arn:aws:secretsmanager:eu-west-1:1:secret:app/db-AbC',
    );
    expect(shellArg("it's a name")).toBe(`'it'"'"'s a name'`);
  });
});
