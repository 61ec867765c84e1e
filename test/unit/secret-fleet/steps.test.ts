import 'aws-sdk-client-mock-vitest/extend';
import { readdirSync, readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeSecretCommand,
  InvalidRequestException,
  ListSecretsCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { logger } from '../../../functions/lib/logger.js';
import { MAX_FAILURES, recordFailure } from '../../../functions/secret-fleet/batch.js';
import { createClients } from '../../../functions/secret-fleet/clients.js';
import {
  RotationInProgressError,
  SummaryPublishError,
  ThrottledError,
} from '../../../functions/secret-fleet/errors.js';
import { parseTaskEvent } from '../../../functions/secret-fleet/handler.js';
import { listSecrets, serverFilters } from '../../../functions/secret-fleet/list.js';
import { parseFleetInput } from '../../../functions/secret-fleet/options.js';
import { rotationToken, startRotation } from '../../../functions/secret-fleet/rotate.js';
import { buildSummary, causeMessage, publishSummary } from '../../../functions/secret-fleet/summary.js';
import type { Candidate, FleetPlan, FleetProgress } from '../../../functions/secret-fleet/types.js';
import { checkRotation, type WatchState } from '../../../functions/secret-fleet/watch.js';

const sm = mockClient(SecretsManagerClient);
const eb = mockClient(EventBridgeClient);
let now = new Date('2026-11-22T12:00:00.000Z');
const clients = createClients({ region: 'us-east-1', now: () => now });
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:fleet:run-1';
const due: Candidate = { arn: ARN, name: 'app', classification: 'due', action: 'rotate', reason: 'due' };

logger.setLogLevel('SILENT');

beforeEach(() => {
  sm.reset();
  eb.reset();
  now = new Date('2026-11-22T12:00:00.000Z');
});

const entry = (name: string, tags: Record<string, string>) => ({
  ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`,
  Name: name,
  RotationEnabled: true,
  Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  SecretVersionsToStages: { v1: ['AWSCURRENT'] },
  LastChangedDate: new Date('2026-11-01T00:00:00Z'),
});

describe('listSecrets', () => {
  it('follows NextToken and keeps only exact tag matches (AWS filters match by prefix, key and value apart)', async () => {
    sm.on(ListSecretsCommand)
      .resolvesOnce({
        SecretList: [
          entry('a', { team: 'pay' }),
          entry('b', { team: 'payments' }),
          entry('c', { other: 'pay', team: 'x' }),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({ SecretList: [entry('d', { team: 'pay' })] });

    const result = await listSecrets(clients, { tag: { key: 'team', value: 'pay' } }, 100);

    expect(result.secrets.map((s) => s.name)).toEqual(['a', 'd']);
    expect(result.truncated).toBe(false);
    expect(sm).toHaveReceivedNthCommandWith(ListSecretsCommand, 2, { NextToken: 'page-2' });
    expect(sm).toHaveReceivedCommandWith(ListSecretsCommand, {
      Filters: [
        { Key: 'tag-key', Values: ['team'] },
        { Key: 'tag-value', Values: ['pay'] },
      ],
    });
  });

  it('stops at maxSecrets and says so', async () => {
    sm.on(ListSecretsCommand).resolves({ SecretList: [entry('a', {}), entry('b', {}), entry('c', {})] });
    const result = await listSecrets(clients, { namePrefix: '' }, 2);
    expect(result).toMatchObject({ truncated: true });
    expect(result.secrets).toHaveLength(2);
  });

  it('does not send a value ListSecrets cannot express (a leading ! would negate it)', () => {
    expect(serverFilters({ namePrefix: '!prod' })).toEqual([]);
    expect(serverFilters({ namePrefix: 'prod/' })).toEqual([{ Key: 'name', Values: ['prod/'] }]);
  });
});

describe('startRotation', () => {
  it('derives the same token for the same execution and secret, and another for another execution', () => {
    const token = rotationToken(EXECUTION, ARN);
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rotationToken(EXECUTION, ARN)).toBe(token);
    expect(rotationToken(`${EXECUTION}-2`, ARN)).not.toBe(token);
  });

  it('calls RotateSecret with the derived token and nothing else (the secret keeps its function and schedule)', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    sm.on(RotateSecretCommand).resolves({});
    const started = await startRotation(clients, due, undefined, EXECUTION);
    expect(started).toMatchObject({
      token: rotationToken(EXECUTION, ARN),
      alreadyFinished: false,
      resumed: false,
    });
    const input = sm.commandCalls(RotateSecretCommand)[0]?.args[0].input;
    expect(input).toEqual({ SecretId: ARN, ClientRequestToken: started.token });
  });

  it('resumes a failed rotation with its pending version id', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] } });
    sm.on(RotateSecretCommand).resolves({});
    const failed: Candidate = { ...due, classification: 'failed', action: 'resume', pendingVersionId: 'v2' };
    expect(await startRotation(clients, failed, undefined, EXECUTION)).toMatchObject({
      token: 'v2',
      resumed: true,
    });
  });

  it('is safe to run twice: a token already AWSCURRENT is not rotated again', async () => {
    const token = rotationToken(EXECUTION, ARN);
    sm.on(DescribeSecretCommand).resolves({
      VersionIdsToStages: { [token]: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] },
    });
    expect(await startRotation(clients, due, undefined, EXECUTION)).toMatchObject({ alreadyFinished: true });
    expect(sm).not.toHaveReceivedCommand(RotateSecretCommand);
  });

  it('leaves a secret alone when another rotation holds AWSPENDING', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'], v9: ['AWSPENDING'] } });
    await expect(startRotation(clients, due, undefined, EXECUTION)).rejects.toBeInstanceOf(
      RotationInProgressError,
    );
    expect(sm).not.toHaveReceivedCommand(RotateSecretCommand);
  });

  it('maps "previous rotation isn\'t complete" to RotationInProgressError and throttling to ThrottledError', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    sm.on(RotateSecretCommand).rejectsOnce(
      new InvalidRequestException({ message: "A previous rotation isn't complete.", $metadata: {} }),
    );
    await expect(startRotation(clients, due, undefined, EXECUTION)).rejects.toBeInstanceOf(
      RotationInProgressError,
    );
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: {},
    });
    sm.on(RotateSecretCommand).rejects(throttled);
    await expect(startRotation(clients, due, undefined, EXECUTION)).rejects.toBeInstanceOf(ThrottledError);
  });
});

describe('checkRotation', () => {
  const options = { stallTimeoutSeconds: 300, maxWaitSeconds: 1800 };
  const startedAt = '2026-11-22T12:00:00.000Z';
  const at = (seconds: number) => new Date(Date.parse(startedAt) + seconds * 1000);

  it('finishes when the token became AWSCURRENT', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { t: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] } });
    expect(await checkRotation(clients, { arn: ARN, token: 't', startedAt, options })).toMatchObject({
      status: 'finished',
      checks: 1,
    });
  });

  it('keeps waiting while the secret changes, and fails once it has been quiet for stallTimeoutSeconds', async () => {
    const pending = { v1: ['AWSCURRENT'], t: ['AWSPENDING'] };
    sm.on(DescribeSecretCommand)
      .resolvesOnce({ VersionIdsToStages: pending, LastChangedDate: at(1) })
      .resolvesOnce({ VersionIdsToStages: pending, LastChangedDate: at(250) })
      .resolves({ VersionIdsToStages: pending, LastChangedDate: at(250) });
    const check = (previous?: Partial<WatchState>) =>
      checkRotation(clients, { arn: ARN, token: 't', startedAt, ...(previous ? { previous } : {}), options });
    now = at(200);
    const first = await check();
    expect(first).toMatchObject({ status: 'in-progress', phase: 'pending', progressAt: startedAt });
    now = at(290);
    const second = await check(first);
    // The change was seen at this check: progress is timed by the caller's clock.
    expect(second).toMatchObject({ status: 'in-progress', progressAt: at(290).toISOString() });
    now = at(591);
    const third = await check(second);
    expect(third).toMatchObject({ status: 'failed', checks: 3 });
    expect(third.reason).toMatch(/has not changed for 301 s/);
  });

  it('is not fooled by a Secrets Manager clock ahead of the caller', async () => {
    sm.on(DescribeSecretCommand).resolves({
      VersionIdsToStages: { v1: ['AWSCURRENT'], t: ['AWSPENDING'] },
      LastChangedDate: at(2 * 86_400),
    });
    now = at(301);
    const result = await checkRotation(clients, { arn: ARN, token: 't', startedAt, options });
    expect(result.status).toBe('failed');
  });

  it('fails when the token lost AWSPENDING without becoming current', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ['AWSCURRENT'], x: ['AWSPENDING'] } });
    const result = await checkRotation(clients, { arn: ARN, token: 't', startedAt, options });
    expect(result).toMatchObject({ status: 'failed', phase: 'abandoned' });
    expect(result.reason).toMatch(/another rotation replaced this one/);
  });
});

describe('summary', () => {
  const options = parseFleetInput({ filter: { namePrefix: 'app' } });
  const plan: FleetPlan = {
    matched: 3,
    candidates: 2,
    selected: 2,
    deferred: 0,
    counts: { due: 1, stuck: 1, healthy: 1 },
    examples: { healthy: ['app3'] },
    preview: [due],
  };
  const progress: FleetProgress = {
    startedAt: '2026-11-22T12:00:00.000Z',
    cutoff: { due: 1, arn: ARN },
    cursor: { due: 1, arn: ARN },
    started: 2,
    rotated: 1,
    failed: 0,
    cleared: 1,
    resumed: 0,
    remaining: 0,
    writes: 5,
    busySeconds: 0.5,
    batches: 1,
    inFlight: [],
    failures: [],
    failuresOmitted: 0,
    done: true,
  };

  it('counts outcomes, reports the write rate against the quota, and keeps only the message of a Lambda error cause', () => {
    const failed = structuredClone(progress);
    recordFailure(failed, {
      arn: `${ARN}2`,
      name: 'app2',
      classification: 'stuck',
      error: 'RotationStartError',
      reason: JSON.stringify({ errorType: 'RotationStartError', errorMessage: 'refused', trace: ['at x'] }),
    });
    const summary = buildSummary(options, plan, failed, EXECUTION);
    expect(summary.counts).toMatchObject({
      matched: 3,
      candidates: 2,
      rotated: 1,
      failed: 1,
      skipped: 1,
      cleared: 1,
    });
    expect(summary.pacing).toMatchObject({ writes: 5, writesPerSecond: 10, writeQuotaPerSecond: 50 });
    expect(summary.failures).toEqual([expect.objectContaining({ name: 'app2', reason: 'refused' })]);
    expect(JSON.stringify(summary)).not.toContain('at x');
    expect(causeMessage('plain text')).toBe('plain text');
  });

  it('keeps at most 50 failures by name whatever fails, counting the rest', () => {
    const many = structuredClone(progress);
    for (let i = 0; i < 5000; i++) {
      recordFailure(many, {
        arn: `${ARN}-${i}`,
        name: `app/${'n'.repeat(500)}/${i}`,
        classification: 'due',
        error: 'RotationFailedError',
        reason: 'x'.repeat(2000),
      });
    }
    const summary = buildSummary(options, plan, many, EXECUTION);
    expect(summary.counts.failed).toBe(5000);
    expect(summary.failures.length).toBeLessThanOrEqual(MAX_FAILURES);
    expect(summary.failures.length + summary.failuresOmitted).toBe(5000);
    // EventBridge takes 256 KB per entry; Step Functions 256 KB per state.
    expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThan(100_000);
  });

  it('says when a batch stopped the run', () => {
    const summary = buildSummary(options, plan, { ...progress, done: false, remaining: 1 }, EXECUTION, {
      Error: 'States.Timeout',
      Cause: 'Task timed out',
    });
    expect(summary).toMatchObject({
      complete: false,
      stoppedBy: { error: 'States.Timeout', reason: 'Task timed out' },
      counts: { remaining: 1 },
    });
  });

  it('publishes one event with the contract source and detail-type, and fails loudly when refused', async () => {
    const summary = buildSummary(options, plan, progress, EXECUTION);
    eb.on(PutEventsCommand).resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    expect(await publishSummary(clients, 'ops', summary)).toBe('e-1');
    expect(eb).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        expect.objectContaining({
          Source: 'rekey',
          DetailType: 'Secret Fleet Rotation Summary',
          EventBusName: 'ops',
        }),
      ],
    });
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    await expect(publishSummary(clients, 'ops', summary)).rejects.toBeInstanceOf(SummaryPublishError);
  });
});

describe('events/secret-fleet-*.json', () => {
  const root = new URL('../../../events/', import.meta.url);
  const files = readdirSync(root).filter(
    (f) => f.startsWith('secret-fleet-') && f !== 'secret-fleet-input.json',
  );

  it.each(files)('%s is a task event the handler accepts', (file) => {
    const event = JSON.parse(readFileSync(new URL(file, root), 'utf8')) as unknown;
    expect(() => parseTaskEvent(structuredClone(event))).not.toThrow();
  });

  it('secret-fleet-input.json is an execution input the plan step accepts', () => {
    const input = JSON.parse(readFileSync(new URL('secret-fleet-input.json', root), 'utf8')) as unknown;
    expect(parseFleetInput(input).filter.tag).toEqual({ key: 'rekey:fleet', value: 'prod' });
  });

  it('refuses an unknown task, naming the valid ones', () => {
    expect(() => parseTaskEvent({ task: 'nuke', state: {}, executionId: EXECUTION })).toThrow(
      /must be one of plan, batch, summary/,
    );
    // Names every object inherits are not tasks either.
    for (const task of ['toString', 'constructor', '__proto__']) {
      expect(() => parseTaskEvent({ task, state: {}, executionId: EXECUTION })).toThrow(
        /must be one of plan, batch, summary/,
      );
    }
  });
});
