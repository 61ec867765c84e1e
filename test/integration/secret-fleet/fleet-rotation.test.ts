import { randomInt, randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSummary } from '../../../functions/secret-fleet/summary.js';
import { readEvents } from '../../../local/core/admin-client.js';
import type { LocalEndpoint } from '../../../local/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';
import type { WorkflowRun } from '../../helpers/state-machine.js';
import {
  FLEET_EVENT_BUS,
  type FleetEndpoint,
  holder,
  runFleet,
  stagesOf,
  startFleetEndpoint,
} from './helpers.js';

/**
 * The fleet state machine, run locally through aws-local-stepfunctions, with every Task going to
 * the real fleet handler and every AWS call to the local endpoint, Secrets Manager's write quota
 * (50/s) enforced in front of it, over 200 secrets:
 *
 * | group      |   n | set up as                                                   | expected                        |
 * |------------|-----|-------------------------------------------------------------|---------------------------------|
 * | due        |  65 | rotated; clock to noon UTC 3 days on: 12 h past window end  | rotated                         |
 * | overdue    |  65 | as due, but rotates every day: 36 h past its window's end   | rotated                         |
 * | stuck      |  20 | first rotation died in createSecret: empty AWSPENDING       | placeholder cleared, rotated    |
 * | failed     |  15 | first rotation died in setSecret: AWSPENDING holds a value  | resumed: that version is current|
 * | failing    |  15 | the rotation function fails setSecret for them every time   | failed, AWSCURRENT unchanged    |
 * | malformed  |   5 | content names an unknown database engine                    | failed, AWSCURRENT unchanged    |
 * | healthy    |  10 | rotated after the clock moved                               | skipped, untouched              |
 * | disabled   |   5 | rotation never turned on                                    | skipped, untouched              |
 *
 * plus 3 due secrets outside the filter that must not be touched.
 */

const REGION = 'us-east-1';
// An account of its own: the listing sees only this test's secrets.
const ACCOUNT = String(randomInt(100_000_000_000, 999_999_999_999));
const localLog = () => ({ endpointUrl: endpoint.url, region: REGION, account: ACCOUNT });
const TEST_ROTATION = 'rekey-it-fleet-rotation';
const TEST_ROTATION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${TEST_ROTATION}`;
// The tag key the deployed fleet role grants on (FleetSecrets: rekey:fleet); the value isolates this run.
const TAG = 'rekey:fleet';
const DAY_MS = 86_400_000;

type Group =
  | 'due'
  | 'overdue'
  | 'stuck'
  | 'failed'
  | 'failing'
  | 'malformed'
  | 'healthy'
  | 'disabled'
  | 'outsider';
const SIZES: Record<Group, number> = {
  due: 65,
  overdue: 65,
  stuck: 20,
  failed: 15,
  failing: 15,
  malformed: 5,
  healthy: 10,
  disabled: 5,
  outsider: 3,
};

interface TestSecret {
  group: Group;
  name: string;
  arn: string;
  /** AWSCURRENT before the fleet ran. */
  currentBefore: string;
  /** AWSPENDING (on another version) before the fleet ran. */
  pendingBefore?: string;
  stagesBefore: Record<string, string[]>;
}

const runId = randomUUID().slice(0, 8);
let fleet: FleetEndpoint;
let endpoint: LocalEndpoint;
let sm: SecretsManagerClient;
/** The largest task input or output the state machine carried, in bytes. */
let largestState = 0;
const secrets: TestSecret[] = [];
/** Injected failures of the test rotation function, by secret ARN. */
const failCreateOnce = new Set<string>();
const failSetOnce = new Set<string>();
const failSetAlways = new Set<string>();
let run: WorkflowRun;
let summary: FleetSummary;
let events: { 'detail-type': string; source: string; detail: Record<string, unknown> }[];

const inBatches = async <T>(items: T[], size: number, fn: (item: T) => Promise<void>) => {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
};

beforeAll(async () => {
  // The real rotation function, with failures injected per secret around its steps.
  const started = await startFleetEndpoint({
    account: ACCOUNT,
    region: REGION,
    rotationFunction: TEST_ROTATION,
    writeQuotaPerSecond: 50,
    beforeStep: ({ Step, SecretId }) => {
      if (Step === 'createSecret' && failCreateOnce.delete(SecretId))
        throw new Error('injected: createSecret died');
      if (Step === 'setSecret' && (failSetOnce.delete(SecretId) || failSetAlways.has(SecretId))) {
        throw new Error('injected: the target refused the new password');
      }
    },
  });
  fleet = started;
  ({ endpoint, sm } = started);
  // The set-up's own rotations are not paced: the quota applies to the fleet run only.
  started.quota?.enforce(false);

  // Prepare: create every secret, with rotation set up as its group needs.
  const plan = (Object.entries(SIZES) as [Group, number][]).flatMap(([group, n]) =>
    Array.from({ length: n }, (_, i) => ({ group, name: `it-fleet-${runId}/${group}-${i}` })),
  );
  await inBatches(plan, 25, async ({ group, name }) => {
    const malformed = group === 'malformed';
    const created = await sm.send(
      new CreateSecretCommand({
        Name: name,
        // JSON with a password field: the generated rotator replaces that field. (A plain-string
        // secret can be rotated to a password that starts with "{", which the rotator then
        // refuses as malformed JSON in testSecret: reported to the rotation's owner.)
        SecretString: JSON.stringify(
          malformed
            ? { engine: 'no-such-engine', username: 'u' }
            : { username: 'app', password: `initial-${randomUUID()}` },
        ),
        Tags: [
          { Key: TAG, Value: group === 'outsider' ? `${runId}-other` : runId },
          ...(malformed ? [] : [{ Key: 'rekey:rotator', Value: 'generated' }]),
        ],
      }),
    );
    const arn = created.ARN ?? '';
    if (group === 'stuck') failCreateOnce.add(arn);
    if (group === 'failed') failSetOnce.add(arn);
    if (group !== 'disabled' && group !== 'healthy') {
      const started = await sm.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotationLambdaARN: TEST_ROTATION_ARN,
          RotationRules: { AutomaticallyAfterDays: group === 'due' ? 2 : 1 },
        }),
      );
      // RotateSecret answers before the steps run, as on AWS: wait, then move the clock.
      await waitForRotation({ sm, secretId: arn, token: started.VersionId, local: localLog() });
    }
    secrets.push({ group, name, arn, currentBefore: '', stagesBefore: {} });
  });
  // To noon UTC three days after today. NextRotationDate is the end (23:59:59) of a UTC-day
  // rotation window, as AWS reports it: the every-2-days secrets are 12 h past theirs (due) and
  // the daily ones 36 h past theirs (overdue), whatever the time of day the test runs.
  const now = endpoint.clock.now().getTime();
  endpoint.clock.advance(Math.floor(now / DAY_MS) * DAY_MS + 3 * DAY_MS + 12 * 3_600_000 - now);
  await inBatches(
    secrets.filter((s) => s.group === 'healthy'),
    25,
    async (s) => {
      const started = await sm.send(
        new RotateSecretCommand({
          SecretId: s.arn,
          RotationLambdaARN: TEST_ROTATION_ARN,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
      await waitForRotation({ sm, secretId: s.arn, token: started.VersionId, local: localLog() });
    },
  );
  for (const s of secrets) if (s.group === 'failing') failSetAlways.add(s.arn);
  await inBatches(secrets, 25, async (s) => {
    const stages = await stagesOf(sm, s.arn);
    s.stagesBefore = stages;
    s.currentBefore = holder(stages, 'AWSCURRENT') ?? '';
    const pending = holder(stages, 'AWSPENDING');
    if (pending && pending !== s.currentBefore) s.pendingBefore = pending;
  });

  // Act: the whole workflow, the write quota enforced on the fleet and the rotation function.
  started.quota?.reset();
  started.quota?.enforce(true);
  const result = await runFleet(started, {
    // A rotation still pending after 10 s without change has failed (the failing group):
    // RotateSecret answers before the steps run, as on AWS, and under the write quota and a busy
    // machine they may start seconds later. Batches of 3 s make the run hand running rotations
    // from one batch to the next.
    filter: { tag: { key: TAG, value: runId } },
    stallTimeoutSeconds: 10,
    pollSeconds: 1,
    stuckAfterSeconds: 600,
    batchSeconds: 3,
  });
  ({ run, summary, largestState } = result);
  events = (
    await readEvents(
      { endpointUrl: endpoint.url, region: REGION, account: ACCOUNT },
      { eventBusName: FLEET_EVENT_BUS },
    )
  ).events as unknown as typeof events;
}, 120_000);

afterAll(async () => {
  if (sm) {
    await inBatches(secrets, 25, async (s) => {
      await sm.send(new DeleteSecretCommand({ SecretId: s.arn, ForceDeleteWithoutRecovery: true }));
    });
  }
  await fleet?.close();
});

const ofGroup = (group: Group) => secrets.filter((s) => s.group === group);
const failureOf = (s: TestSecret) => summary.failures.find((o) => o.arn === s.arn);

describe('fleet rotation of 200 secrets', () => {
  it('set up what it meant to: stuck secrets hold an empty AWSPENDING, failed ones a valued one', async () => {
    expect(secrets.filter((s) => s.group !== 'outsider')).toHaveLength(200);
    for (const s of [...ofGroup('stuck'), ...ofGroup('failed'), ...ofGroup('malformed')]) {
      expect(s.pendingBefore, s.name).toBeDefined();
    }
    const failed = ofGroup('failed')[0];
    const stuck = ofGroup('stuck')[0];
    if (!failed?.pendingBefore || !stuck?.pendingBefore) throw new Error('setup incomplete');
    await expect(
      sm.send(new GetSecretValueCommand({ SecretId: failed.arn, VersionId: failed.pendingBefore })),
    ).resolves.toHaveProperty('VersionId', failed.pendingBefore);
    await expect(
      sm.send(new GetSecretValueCommand({ SecretId: stuck.arn, VersionId: stuck.pendingBefore })),
    ).rejects.toThrow(/can't find/);
  });

  it('runs to the end in several batches and counts every matching secret once', () => {
    expect(run.error).toBeUndefined();
    expect(summary.complete).toBe(true);
    expect(summary.counts).toMatchObject({
      matched: 200,
      candidates: 185,
      selected: 185,
      deferred: 0,
      rotated: 165,
      failed: 20,
      skipped: 15,
      remaining: 0,
      cleared: 25,
      resumed: 15,
      byClassification: { due: 65, overdue: 80, stuck: 25, failed: 15, healthy: 10, disabled: 5 },
    });
    expect(summary.pacing.batches).toBeGreaterThan(1);
    expect(run.states.filter((s) => s === 'Rotate Batch')).toHaveLength(summary.pacing.batches);
  });

  it('stays within the write quota: 2 writes per rotation, 1 per repair, none refused for good', () => {
    const stats = fleet.quota?.stats();
    const allowed = Object.values(stats?.allowed ?? {}).reduce((a, b) => a + b, 0);
    // Rotations started: 185 (the 5 malformed fail in createSecret and never write it).
    expect(summary.pacing.writes).toBe(2 * 185 + 25);
    expect(allowed).toBeLessThanOrEqual(summary.pacing.writes);
    expect(stats?.busiestSecond).toBeLessThanOrEqual(50);
    expect(summary.failures.map((f) => f.error)).not.toContain('ThrottledError');
    expect(summary.pacing.writeQuotaPercent).toBe(90);
  });

  it('carries only counts, running rotations and failures between states', () => {
    expect(largestState).toBeLessThan(64 * 1024);
  });

  it('rotates due and overdue secrets to a new AWSCURRENT, leaving no AWSPENDING', async () => {
    for (const s of [...ofGroup('due'), ...ofGroup('overdue')]) {
      // (the failing group is overdue too: it is checked below)
      const stages = await stagesOf(sm, s.arn);
      const current = holder(stages, 'AWSCURRENT');
      expect(current, s.name).not.toBe(s.currentBefore);
      expect(holder(stages, 'AWSPREVIOUS'), s.name).toBe(s.currentBefore);
      expect(holder(stages, 'AWSPENDING') ?? current, s.name).toBe(current);
      expect(failureOf(s), s.name).toBeUndefined();
    }
  });

  it('clears the empty AWSPENDING of stuck secrets, then rotates them', async () => {
    for (const s of ofGroup('stuck')) {
      const stages = await stagesOf(sm, s.arn);
      expect(stages[s.pendingBefore ?? ''], s.name).toBeUndefined();
      expect(holder(stages, 'AWSCURRENT'), s.name).not.toBe(s.currentBefore);
      expect(failureOf(s), s.name).toBeUndefined();
    }
  });

  it('finishes failed rotations with their own pending value instead of discarding it', async () => {
    for (const s of ofGroup('failed')) {
      const stages = await stagesOf(sm, s.arn);
      expect(holder(stages, 'AWSCURRENT'), s.name).toBe(s.pendingBefore);
      expect(holder(stages, 'AWSPREVIOUS'), s.name).toBe(s.currentBefore);
      expect(failureOf(s), s.name).toBeUndefined();
    }
  });

  it('reports rotations that fail without stopping the fleet, and keeps their AWSCURRENT', async () => {
    for (const s of [...ofGroup('failing'), ...ofGroup('malformed')]) {
      const stages = await stagesOf(sm, s.arn);
      expect(holder(stages, 'AWSCURRENT'), s.name).toBe(s.currentBefore);
      const outcome = failureOf(s);
      expect(outcome, s.name).toMatchObject({ name: s.name, error: 'RotationFailedError' });
      // AWSPENDING stays on the fleet's own version, for the next run or 'rekey doctor'.
      expect(holder(stages, 'AWSPENDING'), s.name).toBe(outcome?.versionId);
      expect(outcome?.reason, s.name).toMatch(/AWSPENDING is still on version/);
    }
  });

  it('leaves healthy, disabled and unmatched secrets alone', async () => {
    for (const s of [...ofGroup('healthy'), ...ofGroup('disabled'), ...ofGroup('outsider')]) {
      expect(await stagesOf(sm, s.arn), s.name).toEqual(s.stagesBefore);
    }
    expect(summary.failures).toHaveLength(20);
  });

  it('publishes one summary event with the same counts and no secret value', async () => {
    const mine = events.filter((e) => e['detail-type'] === 'Secret Fleet Rotation Summary');
    expect(mine).toHaveLength(1);
    expect(mine[0]?.source).toBe('rekey');
    expect(mine[0]?.detail).toEqual(summary);
    const text = JSON.stringify(mine[0]);
    const values: string[] = [];
    await inBatches(secrets, 25, async (s) => {
      const value = await sm.send(new GetSecretValueCommand({ SecretId: s.arn }));
      if (value.SecretString) values.push(value.SecretString);
    });
    expect(values.length).toBe(secrets.length);
    expect(values.filter((v) => text.includes(v))).toEqual([]);
  });
});
