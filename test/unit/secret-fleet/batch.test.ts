import {
  DescribeSecretCommand,
  ListSecretsCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { logger } from '../../../functions/lib/logger.js';
import { runBatch } from '../../../functions/secret-fleet/batch.js';
import { createClients } from '../../../functions/secret-fleet/clients.js';
import { parseFleetInput } from '../../../functions/secret-fleet/options.js';
import { planFleet } from '../../../functions/secret-fleet/plan.js';
import { rotationToken } from '../../../functions/secret-fleet/rotate.js';

/**
 * One batch over a mocked Secrets Manager whose rotations run in the background (as on AWS:
 * RotateSecret answers at once, the token is AWSPENDING for two checks, then AWSCURRENT), on a
 * fake clock: the batch's own sleeps move it.
 */
const sm = mockClient(SecretsManagerClient);
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:fleet:run-1';
const BASE = Date.parse('2026-11-22T12:00:00.000Z');
let t = 0;
const clients = createClients({ region: 'us-east-1', now: () => new Date(BASE + t) });
const hooks = {
  monotonicMs: () => t,
  sleep: async (ms: number) => {
    t += Math.max(ms, 1);
  },
};
logger.setLogLevel('SILENT');

const arnOf = (i: number) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:app-${i}-AbCdEf`;
const fleet = Array.from({ length: 40 }, (_, i) => ({
  ARN: arnOf(i),
  Name: `app-${i}`,
  RotationEnabled: true,
  RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:rotate',
  RotationRules: { AutomaticallyAfterDays: 30 },
  NextRotationDate: new Date(BASE - (i + 1) * 3_600_000),
  LastRotatedDate: new Date(BASE - 31 * 86_400_000),
  LastChangedDate: new Date(BASE - 31 * 86_400_000),
  SecretVersionsToStages: { v1: ['AWSCURRENT'] },
}));
/** When each secret's RotateSecret came (fake ms), and how many checks it has had since. */
let rotateAt: Map<string, number>;
let checksAfter: Map<string, number>;

beforeEach(() => {
  t = 0;
  rotateAt = new Map();
  checksAfter = new Map();
  sm.reset();
  sm.on(ListSecretsCommand).resolves({ SecretList: fleet });
  sm.on(RotateSecretCommand).callsFake((input: { SecretId: string }) => {
    rotateAt.set(input.SecretId, t);
    return {};
  });
  sm.on(DescribeSecretCommand).callsFake((input: { SecretId: string }) => {
    const token = rotationToken(EXECUTION, input.SecretId);
    if (!rotateAt.has(input.SecretId)) return { VersionIdsToStages: { v1: ['AWSCURRENT'] } };
    const n = (checksAfter.get(input.SecretId) ?? 0) + 1;
    checksAfter.set(input.SecretId, n);
    return n < 3
      ? {
          VersionIdsToStages: { v1: ['AWSCURRENT'], [token]: ['AWSPENDING'] },
          LastChangedDate: new Date(BASE + t),
        }
      : { VersionIdsToStages: { v1: ['AWSPREVIOUS'], [token]: ['AWSCURRENT', 'AWSPENDING'] } };
  });
});

/** A plan over the mocked fleet: 10 writes/s, checks every second, and the given overrides. */
const planWith = async (overrides: Record<string, number>) => {
  const options = parseFleetInput({
    filter: { namePrefix: 'app-' },
    writeQuotaPerSecond: 10,
    writeQuotaPercent: 100,
    pollSeconds: 1,
    ...overrides,
  });
  return { options, progress: (await planFleet(clients, options)).progress };
};

describe('runBatch', () => {
  it('starts the selected rotations oldest first at the token-bucket pace and watches each to the end', async () => {
    const { options, progress } = await planWith({ maxRotations: 30 });

    const after = await runBatch(clients, options, progress, EXECUTION, hooks);

    expect(after).toMatchObject({
      started: 30,
      rotated: 30,
      failed: 0,
      remaining: 0,
      writes: 60,
      done: true,
    });
    expect(after.inFlight).toEqual([]);
    // Oldest due first: app-39 (40 h late) ... app-10; app-0..9 are over the cap.
    const order = [...rotateAt.entries()].sort((a, b) => a[1] - b[1]).map(([arn]) => arn);
    expect(order[0]).toBe(arnOf(39));
    expect(order).not.toContain(arnOf(9));
    // 10 writes/s, 2 per rotation: 5 rotations per second after the first burst (capacity 3 writes).
    const starts = [...rotateAt.values()].sort((a, b) => a - b);
    expect((starts[29] ?? 0) / 1000).toBeGreaterThanOrEqual(5.5);
    for (let i = 0; i + 5 < starts.length; i++) {
      expect((starts[i + 5] ?? 0) - (starts[i] ?? 0)).toBeGreaterThanOrEqual(800);
    }
  });

  it('hands the running rotations over to the next batch when its time is up', async () => {
    const { options, progress } = await planWith({ maxRotations: 40, batchSeconds: 2, maxConcurrency: 100 });

    const first = await runBatch(clients, options, progress, EXECUTION, hooks);
    expect(first.done).toBe(false);
    expect(first.inFlight.length).toBeGreaterThan(0);
    expect(first.started).toBe(first.rotated + first.inFlight.length);
    expect(first.remaining).toBe(40 - first.started);

    let next = first;
    while (!next.done) next = await runBatch(clients, options, next, EXECUTION, hooks);
    expect(next).toMatchObject({ started: 40, rotated: 40, failed: 0, remaining: 0 });
    expect(sm.commandCalls(RotateSecretCommand)).toHaveLength(40);
  });
});
