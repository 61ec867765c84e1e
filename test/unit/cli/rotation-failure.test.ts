/**
 * The AWS half of "the tools say what is true": a rotation whose function failed is reported
 * as failed at once, with the step and error read from the function's CloudWatch Logs, and the
 * stuck threshold follows from the function's timeout (GetFunctionConfiguration). The local
 * endpoint has neither API, so the SDK clients are mocked here.
 */
import { ACMClient, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { KMSClient, ListAliasesCommand } from '@aws-sdk/client-kms';
import { GetFunctionCommand, GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { createReportClients } from '../../../cli/report/clients.js';
import { collectSecrets } from '../../../cli/report/collect.js';
import { diagnose } from '../../../cli/report/diagnose.js';
import {
  createRotationInspector,
  stuckAfterForTimeout,
  templateRotationTimeout,
} from '../../../cli/report/rotation-failure.js';
import { resolveTarget } from '../../../cli/target.js';

const sm = mockClient(SecretsManagerClient);
const lambda = mockClient(LambdaClient);
const logs = mockClient(CloudWatchLogsClient);
const kms = mockClient(KMSClient);
const acm = mockClient(ACMClient);

const REGION = 'eu-west-1';
const ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:app/db-AbCdEf`;
const FUNCTION = `arn:aws:lambda:${REGION}:123456789012:function:rekey-prod-secret-rotation`;
const LOG_GROUP = '/rekey/prod/secret-rotation';
const TOKEN = 'c0ffee00-1111-4222-8333-444455556666';
const NOW = new Date('2026-06-01T12:00:00Z');

/**
 * Log lines as the rotation function's Powertools logger writes them (the handler's child
 * logger carries step, secretId and token; a failure is logged once with the error).
 */
const line = (level: 'INFO' | 'ERROR', step: string, error?: { name: string; message: string }) =>
  JSON.stringify({
    level,
    message: level === 'ERROR' ? 'Rotation step failed' : 'Rotation step finished',
    service: 'rekey-secret-rotation',
    step,
    secretId: ARN,
    token: TOKEN,
    ...(error ? { error: { ...error, location: 'protocol.ts:1', stack: 'at ...' } } : {}),
  });

/** A secret whose AWSPENDING (on TOKEN, holding a value) last changed `ageSeconds` ago. */
const pendingSecret = (ageSeconds: number) => {
  sm.on(ListSecretsCommand).resolves({
    SecretList: [
      {
        ARN,
        Name: 'app/db',
        RotationEnabled: true,
        RotationLambdaARN: FUNCTION,
        LastChangedDate: new Date(NOW.getTime() - ageSeconds * 1000),
        SecretVersionsToStages: { v1: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
      },
    ],
  });
  sm.on(GetSecretValueCommand).resolves({ ARN, VersionId: TOKEN, SecretString: '{"not":"printed"}' });
};

const clients = () =>
  createReportClients(resolveTarget({}, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' }), {
    now: () => NOW,
  });
const options = { regions: [REGION], gracePeriodDays: 7, thresholds: [30, 7, 1] };

beforeEach(() => {
  for (const mock of [sm, lambda, logs, kms, acm]) mock.reset();
  kms.on(ListAliasesCommand).resolves({ Aliases: [] });
  acm.on(ListCertificatesCommand).resolves({ CertificateSummaryList: [] });
  lambda.on(GetFunctionCommand).resolves({ Configuration: { FunctionName: 'rekey-prod-secret-rotation' } });
  lambda.on(GetFunctionConfigurationCommand).resolves({
    FunctionName: 'rekey-prod-secret-rotation',
    Timeout: 60,
    LoggingConfig: { LogGroup: LOG_GROUP, LogFormat: 'JSON' },
  });
});

describe('a failed rotation on AWS', () => {
  it('is reported by rekey doctor at once, with the step and error from the function log', async () => {
    // Prepare: AWSPENDING changed 10 s ago; the function logged createSecret done, setSecret failed.
    pendingSecret(10);
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        { timestamp: NOW.getTime() - 9000, message: line('INFO', 'createSecret') },
        {
          timestamp: NOW.getTime() - 5000,
          message: line('ERROR', 'setSecret', {
            name: 'DatabaseLoginError',
            message: 'postgres login as app on db.internal:5432 failed: 28P01 password authentication failed',
          }),
        },
      ],
    });

    // Act
    const report = await diagnose(clients(), options);

    // Assess
    expect(report.problems).toHaveLength(1);
    const [problem] = report.problems;
    expect(problem?.kind).toBe('failed-rotation');
    expect(problem?.description).toContain(
      'Cause: the rotation function failed in setSecret: DatabaseLoginError: postgres login as app on db.internal:5432 failed: 28P01 password authentication failed.',
    );
    expect(JSON.stringify(report)).not.toContain('not":"printed');
    // Read from the log group the function really writes to, for this token only, from just
    // before the secret last changed.
    expect(logs).toHaveReceivedCommandWith(FilterLogEventsCommand, {
      logGroupName: LOG_GROUP,
      filterPattern: `{ $.token = "${TOKEN}" && ($.level = "ERROR" || $.message = "Rotation step finished") }`,
      startTime: NOW.getTime() - 10_000 - 300_000,
    });
  });

  it('is reported by rekey status as failed at once, with the cause in the reason', async () => {
    pendingSecret(10);
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        {
          timestamp: NOW.getTime() - 5000,
          message: line('ERROR', 'testSecret', { name: 'DatabaseLoginError', message: 'TLS required' }),
        },
      ],
    });

    const [status] = await collectSecrets(clients(), REGION, {
      regions: [REGION],
      secretFilter: {},
      periodDays: 365,
      thresholds: [30],
      overdueAfterSeconds: 86_400,
    });

    expect(status).toMatchObject({ state: 'failed', severity: 'attention', pendingVersionId: TOKEN });
    expect(status?.reason).toContain(
      'the rotation function failed in testSecret: DatabaseLoginError: TLS required',
    );
  });

  it('is not reported while the function is still working on it (its last line is a finished step)', async () => {
    pendingSecret(30);
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        {
          timestamp: NOW.getTime() - 40_000,
          message: line('ERROR', 'setSecret', { name: 'Error', message: 'first try failed' }),
        },
        // Secrets Manager invoked the step again, and it went through.
        { timestamp: NOW.getTime() - 20_000, message: line('INFO', 'setSecret') },
      ],
    });

    const report = await diagnose(clients(), options);

    expect(report.problems).toEqual([]);
  });
});

describe('rekey rotate-secret --wait on a retried rotation', () => {
  it('reads only what the function logged since this attempt started, not the failure it retries', async () => {
    const startedAt = new Date(NOW.getTime() - 3000);
    logs.on(FilterLogEventsCommand).resolves({
      events: [{ timestamp: NOW.getTime() - 1000, message: line('INFO', 'createSecret') }],
    });
    const inspector = createRotationInspector({
      region: REGION,
      endpoint: undefined,
      lambda: new LambdaClient({ region: REGION }),
      logs: new CloudWatchLogsClient({ region: REGION }),
    });

    const failure = await inspector.failureOf({
      secretArn: ARN,
      token: TOKEN,
      lambdaArn: FUNCTION,
      startedAt,
    });

    expect(failure).toBeUndefined();
    expect(logs).toHaveReceivedCommandWith(FilterLogEventsCommand, {
      logGroupName: LOG_GROUP,
      startTime: startedAt.getTime() - 2000,
    });
  });
});

describe('the stuck threshold', () => {
  it('is 8 × the rotation function timeout: AWSPENDING quiet for less is left alone, for longer is reported', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    expect(stuckAfterForTimeout(60)).toBe(480);

    pendingSecret(479);
    expect((await diagnose(clients(), options)).problems).toEqual([]);

    pendingSecret(481);
    const late = await diagnose(clients(), options);
    expect(late.problems.map((p) => p.kind)).toEqual(['failed-rotation']);
    expect(late.problems[0]?.description).not.toContain('Cause:');
    expect(lambda).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, { FunctionName: FUNCTION });
  });

  it('falls back to an hour, saying so, when the timeout cannot be read; a log it cannot read is noted', async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejects(new Error('not authorized to GetFunctionConfiguration'));
    logs.on(FilterLogEventsCommand).rejects(new Error('not authorized to FilterLogEvents'));
    pendingSecret(1000);

    const report = await diagnose(clients(), options);

    expect(report.errors).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(report.notes.join('\n')).toContain('lambda:GetFunctionConfiguration: not authorized');
    expect(report.notes.join('\n')).toContain('AWSPENDING older than 3600 s counts as stuck');
    expect(report.notes.join('\n')).toContain(
      "Could not read the rotation function's log /aws/lambda/rekey-prod-secret-rotation in eu-west-1 (logs:FilterLogEvents: not authorized to FilterLogEvents)",
    );
  });

  it("is read for the local endpoint from template.yaml's SecretRotationFunction Timeout", async () => {
    const { loadTemplate } = await import('../../../scripts/template.js');
    const template = await loadTemplate();
    const declared = template.Resources.SecretRotationFunction?.Properties?.Timeout;
    expect(typeof declared).toBe('number');
    expect(await templateRotationTimeout()).toBe(declared);
  });
});
