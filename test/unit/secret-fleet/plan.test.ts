import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createClients } from '../../../functions/secret-fleet/clients.js';
import { parseFleetInput } from '../../../functions/secret-fleet/options.js';
import { PREVIEW_LIMIT, planFleet, remainingCandidates } from '../../../functions/secret-fleet/plan.js';

const sm = mockClient(SecretsManagerClient);
const NOW = new Date('2026-11-22T12:00:00.000Z');
const clients = createClients({ region: 'us-east-1', now: () => NOW });
const DAY = 86_400_000;

/** A secret due `daysLate` days ago (negative: not due yet). */
const entry = (name: string, daysLate: number) => ({
  ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`,
  Name: name,
  RotationEnabled: true,
  RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:rotate',
  RotationRules: { AutomaticallyAfterDays: 30 },
  LastRotatedDate: new Date(NOW.getTime() - (30 + daysLate) * DAY),
  NextRotationDate: new Date(NOW.getTime() - daysLate * DAY),
  LastChangedDate: new Date(NOW.getTime() - (30 + daysLate) * DAY),
  SecretVersionsToStages: { v1: ['AWSCURRENT'] },
  Tags: [{ Key: 'team', Value: 'pay' }],
});

/** 250 secrets over three pages: 240 due (i days late, shuffled), 10 healthy. */
const fleet = Array.from({ length: 250 }, (_, i) =>
  i < 240 ? entry(`app-${String(i).padStart(3, '0')}`, ((i * 7) % 240) + 1) : entry(`ok-${i}`, -5),
);

beforeEach(() => {
  sm.reset();
  sm.on(ListSecretsCommand)
    .resolvesOnce({ SecretList: fleet.slice(0, 100), NextToken: 'p2' })
    .resolvesOnce({ SecretList: fleet.slice(100, 200), NextToken: 'p3' })
    .resolvesOnce({ SecretList: fleet.slice(200) });
});

describe('planFleet', () => {
  it('lists every page with the server-side filters, classifies all, and selects the oldest due first up to maxRotations', async () => {
    const options = parseFleetInput({ filter: { tag: { key: 'team', value: 'pay' } }, maxRotations: 100 });

    const { plan, progress } = await planFleet(clients, options);

    expect(sm.commandCalls(ListSecretsCommand)).toHaveLength(3);
    for (const call of sm.commandCalls(ListSecretsCommand)) {
      expect(call.args[0].input).toMatchObject({
        MaxResults: 100,
        Filters: [
          { Key: 'tag-key', Values: ['team'] },
          { Key: 'tag-value', Values: ['pay'] },
        ],
      });
    }
    expect(plan).toMatchObject({ matched: 250, candidates: 240, selected: 100, deferred: 140 });
    expect(plan.counts).toEqual({ due: 1, overdue: 239, healthy: 10 });
    expect(plan.preview).toHaveLength(PREVIEW_LIMIT);
    // The most overdue first: 240 days late, then 239, ...
    const lateness = plan.preview.map((c) =>
      Math.round((NOW.getTime() - Date.parse(c.nextRotationDate ?? '')) / DAY),
    );
    expect(lateness.slice(0, 3)).toEqual([240, 239, 238]);
    expect(progress).toMatchObject({ remaining: 100, done: false, cursor: null });
    // The cutoff is the 100th oldest: 141 days late.
    expect(NOW.getTime() - (progress.cutoff?.due ?? 0)).toBe(141 * DAY);
    // The state carries no list of secrets.
    expect(Buffer.byteLength(JSON.stringify({ plan: { ...plan, preview: [] }, progress }))).toBeLessThan(
      2000,
    );
  });

  it('gives a batch the candidates after its cursor up to the cutoff, in order', async () => {
    const options = parseFleetInput({ filter: { tag: { key: 'team', value: 'pay' } }, maxRotations: 100 });
    const { progress } = await planFleet(clients, options);
    sm.reset();
    sm.on(ListSecretsCommand).resolves({ SecretList: fleet });
    const all = await remainingCandidates(clients, options, progress);
    expect(all).toHaveLength(100);

    const cursor = all[59]?.key ?? null;
    const rest = await remainingCandidates(clients, options, { cutoff: progress.cutoff, cursor });
    expect(rest.map((r) => r.candidate.name)).toEqual(all.slice(60).map((r) => r.candidate.name));
  });
});
