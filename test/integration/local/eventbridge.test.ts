import { randomUUID } from 'node:crypto';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  ListEventBusesCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../../../local/core/admin-client.js';
import { Clock } from '../../../local/server.js';
import {
  createEventBridge,
  putEventsEntrySize,
  type RecordedEvent,
} from '../../../local/services/eventbridge/index.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';

const ACCOUNT = '444455556666';
const REGION = 'eu-west-1';

let endpoint: TestEndpoint;
let events: EventBridgeClient;

const clientFor = (region: string) =>
  new EventBridgeClient({
    endpoint: endpoint.url,
    region,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
    maxAttempts: 1,
  });

const recorded = (options: { eventBusName?: string; clear?: boolean }, region = REGION) =>
  readEvents({ endpointUrl: endpoint.url, region, account: ACCOUNT }, options);

const entry = (bus: string, detail: unknown = { n: 1 }): PutEventsRequestEntry => ({
  EventBusName: bus,
  Source: 'rekey.test',
  DetailType: 'Certificate Expiry Finding',
  Detail: JSON.stringify(detail),
});

const newBus = async (client = events) => {
  const name = `bus-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateEventBusCommand({ Name: name }));
  return name;
};

beforeAll(async () => {
  endpoint = await startTestEndpoint();
  events = clientFor(REGION);
});

afterAll(async () => {
  events?.destroy();
  await endpoint?.close();
});

describe('PutEvents', () => {
  it('records accepted events on their bus, by name or ARN, with the envelope targets receive', async () => {
    const bus = await newBus();
    const arn = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${bus}`;
    const time = new Date('2030-05-06T07:08:09Z');

    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            ...entry(bus, { certificate: 'a' }),
            Resources: ['arn:aws:acm:eu-west-1:444455556666:certificate/a'],
            Time: time,
          },
          entry(arn, { certificate: 'b' }),
        ],
      }),
    );
    const seen = await recorded({ eventBusName: bus });

    expect(result.FailedEntryCount).toBe(0);
    expect(seen.events.map((e) => e.id)).toEqual(result.Entries?.map((e) => e.EventId));
    expect(seen.events[0]).toEqual({
      version: '0',
      id: result.Entries?.[0]?.EventId,
      'detail-type': 'Certificate Expiry Finding',
      source: 'rekey.test',
      account: ACCOUNT,
      time: '2030-05-06T07:08:09Z',
      region: REGION,
      resources: ['arn:aws:acm:eu-west-1:444455556666:certificate/a'],
      detail: { certificate: 'a' },
      'event-bus-name': bus,
    });
    expect(seen.events[1]?.detail).toEqual({ certificate: 'b' });
  });

  it('uses the default bus when EventBusName is absent, and clears recorded events on request', async () => {
    const client = clientFor('eu-west-2');
    await client.send(
      new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{"x":1}' }] }),
    );

    const first = await recorded({ clear: true }, 'eu-west-2');
    const second = await recorded({}, 'eu-west-2');

    expect(first.events.map((e) => e['event-bus-name'])).toEqual(['default']);
    expect(second.events).toEqual([]);
    client.destroy();
  });

  it('rejects more than 10 entries as a whole-request ValidationException', async () => {
    const bus = await newBus();
    const entries = Array.from({ length: 11 }, (_, i) => entry(bus, { i }));

    await expect(events.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/between 1 and 10/),
    });
    expect((await recorded({ eventBusName: bus })).events).toEqual([]);
  });

  it('rejects a request over 256 KB, counting entry sizes as AWS documents', async () => {
    const bus = await newBus();
    const padding = 'x'.repeat(128 * 1024);
    const entries = [entry(bus, { padding }), entry(bus, { padding })];

    const justUnder = [entry(bus, { p: 'x'.repeat(256 * 1024 - 100) })];
    const underSize = putEventsEntrySize(justUnder[0] as Record<string, unknown>);

    await expect(events.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/over the limit/),
    });
    const accepted = await events.send(new PutEventsCommand({ Entries: justUnder }));
    expect(underSize).toBeLessThanOrEqual(256 * 1024);
    expect(accepted.FailedEntryCount).toBe(0);
  });

  it('counts Time as 14 bytes and multi-byte characters by their UTF-8 length', () => {
    const size = putEventsEntrySize({
      Time: 1,
      Source: 'é',
      DetailType: 'ab',
      Detail: '{"k":"€"}',
      Resources: ['r1', 'r2'],
    });

    expect(size).toBe(14 + 2 + 2 + 11 + 4);
  });

  it('reports malformed detail and missing fields per entry, accepting the rest', async () => {
    const bus = await newBus();

    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          entry(bus, { ok: true }),
          { ...entry(bus), Detail: '{not json' },
          { ...entry(bus), Detail: '[1,2]' },
          { EventBusName: bus, DetailType: 'd', Detail: '{}' },
          { EventBusName: bus, Source: 's', Detail: '{}' },
        ],
      }),
    );
    const seen = await recorded({ eventBusName: bus });

    expect(result.FailedEntryCount).toBe(4);
    expect(result.Entries?.map((e) => e.ErrorCode)).toEqual([
      undefined,
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
      'InvalidArgument',
    ]);
    expect(result.Entries?.[3]?.ErrorMessage).toMatch(/Source is a required argument/);
    expect(result.Entries?.[4]?.ErrorMessage).toMatch(/DetailType is a required argument/);
    expect(seen.events.map((e) => e.detail)).toEqual([{ ok: true }]);
  });

  it('accepts events for a bus that does not exist, as AWS does, and shows them as dropped', async () => {
    const missing = `missing-${randomUUID().slice(0, 8)}`;

    const result = await events.send(new PutEventsCommand({ Entries: [entry(missing)] }));
    const seen = await recorded({ eventBusName: missing });

    expect(result.FailedEntryCount).toBe(0);
    expect(seen.busExists).toBe(false);
    expect(seen.events).toEqual([]);
    expect(seen.dropped.map((e) => e.id)).toEqual([result.Entries?.[0]?.EventId]);
  });
});

describe('event buses', () => {
  it('creates, describes, lists and deletes a bus', async () => {
    const name = `crud-${randomUUID().slice(0, 8)}`;

    const created = await events.send(new CreateEventBusCommand({ Name: name, Description: 'findings' }));
    const described = await events.send(new DescribeEventBusCommand({ Name: name }));
    const listed = await events.send(new ListEventBusesCommand({ NamePrefix: 'crud-' }));
    await events.send(new DeleteEventBusCommand({ Name: name }));

    expect(created.EventBusArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`);
    expect(described).toMatchObject({ Name: name, Arn: created.EventBusArn, Description: 'findings' });
    expect(listed.EventBuses?.map((b) => b.Name)).toContain(name);
    await expect(events.send(new DescribeEventBusCommand({ Name: name }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('refuses a duplicate name and keeps the default bus', async () => {
    const name = await newBus();

    await expect(events.send(new CreateEventBusCommand({ Name: name }))).rejects.toBeInstanceOf(
      ResourceAlreadyExistsException,
    );
    await expect(events.send(new DeleteEventBusCommand({ Name: 'default' }))).rejects.toThrow(/default/);
    expect((await events.send(new DescribeEventBusCommand({}))).Name).toBe('default');
  });
});

describe('snapshot and restore', () => {
  it('round-trips buses and recorded events', async () => {
    const bus = await newBus();
    await events.send(new PutEventsCommand({ Entries: [entry(bus, { kept: 1 })] }));
    const service = endpoint.services.find((s) => s.targetPrefix === 'AWSEvents');

    const copy = createEventBridge({ clock: new Clock() });
    copy.restore(JSON.parse(JSON.stringify(service?.snapshot())));
    const ctx = {
      accountId: ACCOUNT,
      region: REGION,
      accessKeyId: ACCOUNT,
      identityArn: 'x',
      requestId: 'r',
      now: new Date(),
    };
    const described = (await copy.handle('DescribeEventBus', { Name: bus }, ctx)) as { Name: string };
    const seen = (await copy.admin?.events?.({ EventBusName: bus }, ctx)) as { Events: RecordedEvent[] };

    expect(described.Name).toBe(bus);
    expect(seen.Events.map((e) => e.detail)).toEqual([{ kept: 1 }]);
  });
});
