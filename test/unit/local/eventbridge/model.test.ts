import { describe, expect, it } from 'vitest';
import { EventBusModel, type RecordedEvent } from '../../../../local/services/eventbridge/model.js';
import type { RequestContext } from '../../../../local/types.js';

const ctx: RequestContext = {
  accountId: '444455556666',
  region: 'eu-west-1',
  accessKeyId: '444455556666',
  identityArn: 'arn:aws:iam::444455556666:user/test',
  requestId: 'r',
  now: new Date('2026-06-01T00:00:00Z'),
};

const event = (bus: string, n: number): RecordedEvent => ({
  version: '0',
  id: `id-${n}`,
  'detail-type': 'Test',
  source: 'rekey.test',
  account: ctx.accountId,
  time: '2026-06-01T00:00:00Z',
  region: ctx.region,
  resources: [],
  detail: { n },
  'event-bus-name': bus,
});

describe('EventBusModel', () => {
  it('has a default bus in every account and Region, keeps the newest events, and keeps events for missing buses apart', () => {
    const model = new EventBusModel(2);

    for (const n of [1, 2, 3]) model.record(ctx, event('default', n));
    model.record(ctx, event('no-such-bus', 4));

    expect(
      model
        .of(ctx)
        .buses.get('default')
        ?.events.map((e) => e.detail.n),
    ).toEqual([2, 3]);
    expect(model.of(ctx).dropped.map((e) => e.detail.n)).toEqual([4]);
    expect(model.of({ ...ctx, region: 'us-east-1' }).buses.get('default')?.arn).toBe(
      'arn:aws:events:us-east-1:444455556666:event-bus/default',
    );
  });

  it('restores a snapshot written before the shared store (scopes keyed ACCOUNT:REGION)', () => {
    const legacy = {
      buses: {
        '444455556666:eu-west-1': [{ name: 'orders', arn: 'arn', createdAt: '2026-01-01T00:00:00.000Z' }],
      },
      events: { '444455556666:eu-west-1': { orders: [event('orders', 7)] } },
      dropped: { '444455556666:eu-west-1': [event('gone', 8)] },
    };
    const model = new EventBusModel(10);

    model.restore(legacy);
    const copy = new EventBusModel(10);
    copy.restore(JSON.parse(JSON.stringify(model.snapshot())));

    for (const m of [model, copy]) {
      expect(
        m
          .of(ctx)
          .buses.get('orders')
          ?.events.map((e) => e.detail.n),
      ).toEqual([7]);
      expect(m.of(ctx).dropped.map((e) => e.detail.n)).toEqual([8]);
    }
    expect(Object.keys(model.snapshot().buses)).toEqual(['444455556666/eu-west-1']);
  });
});
