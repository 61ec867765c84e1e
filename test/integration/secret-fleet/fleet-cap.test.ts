import { randomInt, randomUUID } from 'node:crypto';
import { CreateSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSummary } from '../../../functions/secret-fleet/summary.js';
import { type FleetEndpoint, holder, runFleet, stagesOf, startFleetEndpoint } from './helpers.js';

/**
 * The cap per run: 400 due secrets and the default maxRotations of 300. The first run rotates
 * the 300 whose rotation date is oldest and leaves 100 for later; the second run rotates those
 * 100. Secrets fall due by group (rotation every 1, 2, 3 or 4 days, 100 each, all set up at the
 * same moment), so "oldest due first" means groups 1-3 in the first run and group 4 in the next.
 *
 * The write quota is enforced in front of the endpoint at 200 writes/s and the fleet told so
 * (writeQuotaPerSecond), to keep this CI test short; the 50/s runs are in fleet-rotation.test.ts
 * and bench/fleet.ts.
 */

const REGION = 'us-east-1';
const ACCOUNT = String(randomInt(100_000_000_000, 999_999_999_999));
const ROTATION = 'rekey-it-fleet-cap-rotation';
const ROTATION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${ROTATION}`;
// The tag key the deployed fleet role grants on (FleetSecrets: rekey:fleet); the value isolates this run.
const TAG = 'rekey:fleet';
const DAY_MS = 86_400_000;
const QUOTA = 200;
const runId = randomUUID().slice(0, 8);

let fleet: FleetEndpoint;
const secrets: { arn: string; days: number; current: string }[] = [];

const runOnce = async (): Promise<FleetSummary> => {
  const { run, summary } = await runFleet(fleet, {
    filter: { tag: { key: TAG, value: runId } },
    writeQuotaPerSecond: QUOTA,
    pollSeconds: 1,
    stallTimeoutSeconds: 5,
  });
  expect(run.error).toBeUndefined();
  return summary;
};

const currentOf = async (arn: string) => holder(await stagesOf(fleet.sm, arn), 'AWSCURRENT') ?? '';

beforeAll(async () => {
  fleet = await startFleetEndpoint({
    account: ACCOUNT,
    region: REGION,
    rotationFunction: ROTATION,
    writeQuotaPerSecond: QUOTA,
  });
  const plan = Array.from({ length: 400 }, (_, i) => ({ i, days: 1 + (i % 4) }));
  for (let start = 0; start < plan.length; start += 25) {
    await Promise.all(
      plan.slice(start, start + 25).map(async ({ i, days }) => {
        const { ARN } = await fleet.sm.send(
          new CreateSecretCommand({
            Name: `it-fleet-cap-${runId}/${String(i).padStart(3, '0')}`,
            SecretString: JSON.stringify({ password: `initial-${randomUUID()}` }),
            Tags: [
              { Key: TAG, Value: runId },
              { Key: 'rekey:rotator', Value: 'generated' },
            ],
          }),
        );
        const arn = ARN ?? '';
        // Rotation on, first rotation at the schedule: due `days` days from now.
        await fleet.sm.send(
          new RotateSecretCommand({
            SecretId: arn,
            RotationLambdaARN: ROTATION_ARN,
            RotationRules: { AutomaticallyAfterDays: days },
            RotateImmediately: false,
          }),
        );
        secrets.push({ arn, days, current: await currentOf(arn) });
      }),
    );
  }
  fleet.endpoint.clock.advance(5 * DAY_MS);
}, 120_000);

afterAll(async () => {
  await fleet?.close();
});

describe('400 due secrets with the default cap of 300 per run', () => {
  it('the first run rotates the 300 oldest due and defers the rest', async () => {
    const summary = await runOnce();

    expect(summary.counts).toMatchObject({
      matched: 400,
      candidates: 400,
      selected: 300,
      deferred: 100,
      rotated: 300,
      failed: 0,
      remaining: 0,
    });
    const rotated = await Promise.all(secrets.map(async (s) => (await currentOf(s.arn)) !== s.current));
    const daysOfRotated = new Set(secrets.filter((_, i) => rotated[i]).map((s) => s.days));
    expect(rotated.filter(Boolean)).toHaveLength(300);
    expect([...daysOfRotated].sort()).toEqual([1, 2, 3]);
    expect(fleet.quota?.stats().busiestSecond).toBeLessThanOrEqual(QUOTA);
  }, 120_000);

  it('the second run rotates the remaining 100: every secret rotated in two runs', async () => {
    const summary = await runOnce();

    expect(summary.counts).toMatchObject({
      matched: 400,
      candidates: 100,
      selected: 100,
      deferred: 0,
      rotated: 100,
      failed: 0,
    });
    const after = await Promise.all(secrets.map((s) => currentOf(s.arn)));
    expect(after.filter((current, i) => current !== secrets[i]?.current)).toHaveLength(400);
    expect(summary.failures).toEqual([]);
  }, 120_000);
});
