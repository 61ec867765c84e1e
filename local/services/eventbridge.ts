import { randomUUID } from 'node:crypto';
import { AwsError } from '../aws-error.js';
import type { Clock } from '../server.js';
import type { LocalService, RequestContext } from '../types.js';
import { eventBridgeAuthorization } from './eventbridge/authorization.js';

export interface EventBridgeOptions {
  clock: Clock;
  /**
   * Largest PutEvents request, as the sum of the entry sizes AWS's "Calculating PutEvents event
   * entry size" describes. 256 KB is the long-documented limit the project designs for; newer
   * API references allow 1 MB, so callers staying under 256 KB work on both.
   */
  maxRequestBytes?: number;
  /** Events kept per bus for the admin route (oldest dropped first). */
  maxEventsPerBus?: number;
}

/** An event as EventBridge delivers it to targets, plus the bus it was put on. */
export interface RecordedEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  'event-bus-name': string;
}

interface Bus {
  name: string;
  arn: string;
  description?: string;
  createdAt: string;
  events: RecordedEvent[];
}

interface EventBridgeSnapshot {
  buses: Record<string, Omit<Bus, 'events'>[]>;
  events: Record<string, Record<string, RecordedEvent[]>>;
  dropped: Record<string, RecordedEvent[]>;
}

const MAX_ENTRIES = 10;
const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const BUS_ARN = /^arn:aws[a-z-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/([/.\-_A-Za-z0-9]{1,256})$/;

const utf8 = (value: unknown): number => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);

/**
 * Entry size as the EventBridge user guide computes it: Time counts 14 bytes when present;
 * Source, DetailType, Detail and each Resources entry count their UTF-8 bytes.
 */
export const putEventsEntrySize = (entry: Record<string, unknown>): number => {
  let size = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  size += utf8(entry.Source) + utf8(entry.DetailType) + utf8(entry.Detail);
  if (Array.isArray(entry.Resources)) for (const resource of entry.Resources) size += utf8(resource);
  return size;
};

const entryError = (ErrorCode: string, ErrorMessage: string) => ({ ErrorCode, ErrorMessage });

/** Reads `Time` as the JSON protocol sends timestamps: epoch seconds (or an ISO string). */
const entryTime = (value: unknown, now: Date): Date | undefined => {
  if (value === undefined || value === null) return now;
  const date =
    typeof value === 'number'
      ? new Date(value * 1000)
      : typeof value === 'string'
        ? new Date(value)
        : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
};

/**
 * The local EventBridge (`AWSEvents`, JSON 1.1): PutEvents with the documented limits and
 * per-entry errors, minimal event bus management, and every accepted event recorded on its
 * bus for `/_rekey/AWSEvents/events`.
 */
export const createEventBridge = (options: EventBridgeOptions): LocalService => {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const maxEvents = options.maxEventsPerBus ?? 10_000;
  /** Buses by `account:region`, then by name; the `default` bus always exists. */
  let buses = new Map<string, Map<string, Bus>>();
  /** Events put on buses that do not exist, which AWS accepts and drops, by `account:region`. */
  let dropped = new Map<string, RecordedEvent[]>();

  const scope = (ctx: RequestContext) => `${ctx.accountId}:${ctx.region}`;
  const busArn = (ctx: RequestContext, name: string) =>
    `arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/${name}`;

  const regionBuses = (ctx: RequestContext): Map<string, Bus> => {
    let map = buses.get(scope(ctx));
    if (!map) {
      map = new Map([
        [
          'default',
          { name: 'default', arn: busArn(ctx, 'default'), createdAt: new Date(0).toISOString(), events: [] },
        ],
      ]);
      buses.set(scope(ctx), map);
    }
    return map;
  };

  /** A bus name from a name or an ARN; `undefined` when it is neither (or an ARN of another account/Region). */
  const busName = (value: unknown, ctx: RequestContext): string | undefined => {
    if (value === undefined || value === null || value === '') return 'default';
    if (typeof value !== 'string') return undefined;
    const arn = BUS_ARN.exec(value);
    if (arn) return arn[1] === ctx.region && arn[2] === ctx.accountId ? arn[3] : undefined;
    return BUS_NAME.test(value) ? value : undefined;
  };

  const requireBus = (value: unknown, ctx: RequestContext): Bus => {
    const name = busName(value, ctx);
    const bus = name ? regionBuses(ctx).get(name) : undefined;
    if (!bus) throw new AwsError('ResourceNotFoundException', `Event bus ${String(value)} does not exist.`);
    return bus;
  };

  const describe = (bus: Bus) => ({
    Name: bus.name,
    Arn: bus.arn,
    Description: bus.description,
    CreationTime: Date.parse(bus.createdAt) / 1000,
    LastModifiedTime: Date.parse(bus.createdAt) / 1000,
  });

  const putEvents = (input: Record<string, unknown>, ctx: RequestContext) => {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      const count = Array.isArray(entries) ? entries.length : 0;
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES} (got ${count}); split the events into batches of ${MAX_ENTRIES}.`,
      );
    }
    const total = entries.reduce(
      (sum: number, entry) => sum + putEventsEntrySize((entry ?? {}) as Record<string, unknown>),
      0,
    );
    if (total > maxRequestBytes) {
      throw new AwsError(
        'ValidationException',
        `Total size of the entries in the request is over the limit (${total} bytes > ${maxRequestBytes}); send fewer or smaller entries.`,
      );
    }
    const results = entries.map((raw) => {
      const entry = (raw ?? {}) as Record<string, unknown>;
      // Per-entry problems are reported in Entries with FailedEntryCount, not as a request error.
      for (const field of ['Source', 'DetailType', 'Detail'] as const) {
        if (typeof entry[field] !== 'string' || (entry[field] as string).length === 0) {
          return entryError(
            'InvalidArgument',
            `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
          );
        }
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail as string);
      } catch {
        detail = undefined;
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        return entryError('MalformedDetail', 'Detail is malformed: it must be a JSON object.');
      }
      const time = entryTime(entry.Time, ctx.now);
      if (!time) return entryError('InvalidArgument', 'Parameter Time is not valid.');
      const resources = entry.Resources ?? [];
      if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string')) {
        return entryError(
          'InvalidArgument',
          'Parameter Resources is not valid: it must be a list of strings.',
        );
      }
      const name = busName(entry.EventBusName, ctx);
      if (!name)
        return entryError(
          'InvalidArgument',
          `Parameter EventBusName is not valid: ${String(entry.EventBusName)}.`,
        );
      const event: RecordedEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType as string,
        source: entry.Source as string,
        account: ctx.accountId,
        time: `${time.toISOString().slice(0, 19)}Z`,
        region: ctx.region,
        resources: resources as string[],
        detail: detail as Record<string, unknown>,
        'event-bus-name': name,
      };
      const bus = regionBuses(ctx).get(name);
      // AWS accepts events for a bus that does not exist and drops them (they get an EventId);
      // the local endpoint keeps them apart so tests can see the mistake.
      const sink = bus?.events ?? dropped.get(scope(ctx)) ?? [];
      if (!bus) dropped.set(scope(ctx), sink);
      sink.push(event);
      if (sink.length > maxEvents) sink.splice(0, sink.length - maxEvents);
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  };

  const operations: Record<string, (input: Record<string, unknown>, ctx: RequestContext) => unknown> = {
    PutEvents: putEvents,
    CreateEventBus: (input, ctx) => {
      const name = input.Name;
      if (typeof name !== 'string' || !BUS_NAME.test(name)) {
        throw new AwsError(
          'ValidationException',
          `Name ${String(name)} is not a valid event bus name: 1-256 of [/.-_A-Za-z0-9].`,
        );
      }
      if (name.startsWith('aws.')) {
        throw new AwsError(
          'ValidationException',
          'Names starting with aws. are for partner event buses, which the local endpoint does not emulate.',
        );
      }
      const map = regionBuses(ctx);
      if (map.has(name))
        throw new AwsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
      const bus: Bus = { name, arn: busArn(ctx, name), createdAt: ctx.now.toISOString(), events: [] };
      if (typeof input.Description === 'string') bus.description = input.Description;
      map.set(name, bus);
      return { EventBusArn: bus.arn, Description: bus.description };
    },
    DescribeEventBus: (input, ctx) => describe(requireBus(input.Name, ctx)),
    ListEventBuses: (input, ctx) => {
      const prefix = typeof input.NamePrefix === 'string' ? input.NamePrefix : '';
      const limit = input.Limit ?? 100;
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new AwsError('ValidationException', 'Limit must be an integer between 1 and 100.');
      }
      const all = [...regionBuses(ctx).values()]
        .filter((b) => b.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name));
      const offset =
        typeof input.NextToken === 'string'
          ? Number(Buffer.from(input.NextToken, 'base64url').toString())
          : 0;
      if (!Number.isInteger(offset) || offset < 0)
        throw new AwsError('ValidationException', 'NextToken is not valid.');
      const page = all.slice(offset, offset + limit);
      const next = offset + page.length;
      return {
        EventBuses: page.map(describe),
        NextToken: next < all.length ? Buffer.from(String(next)).toString('base64url') : undefined,
      };
    },
    DeleteEventBus: (input, ctx) => {
      const name = busName(input.Name, ctx);
      if (name === 'default') throw new AwsError('ValidationException', 'Cannot delete event bus default.');
      // Deleting a bus that does not exist succeeds, as on AWS.
      if (name) regionBuses(ctx).delete(name);
      return {};
    },
  };

  return {
    targetPrefix: 'AWSEvents',
    jsonVersion: '1.1',
    // IAM checks per operation (eventbridge/authorization.ts).
    authorization: eventBridgeAuthorization(),
    async handle(operation, input, ctx) {
      const run = operations[operation];
      if (!run)
        throw new AwsError(
          'UnknownOperationException',
          `The local EventBridge does not implement ${operation}.`,
        );
      return run(input, ctx);
    },
    admin: {
      /**
       * Recorded events of one bus (`EventBusName`, default `default`), oldest first; `clear`
       * empties the bus after reading. `Dropped` lists events sent to buses that do not exist.
       */
      events: async (body, ctx) => {
        const name = busName(body.EventBusName, ctx);
        const bus = name ? regionBuses(ctx).get(name) : undefined;
        const events = bus ? [...bus.events] : [];
        const droppedHere = (dropped.get(scope(ctx)) ?? []).filter(
          (e) => !name || e['event-bus-name'] === name,
        );
        if (body.clear === true) {
          if (bus) bus.events = [];
          dropped.set(
            scope(ctx),
            (dropped.get(scope(ctx)) ?? []).filter((e) => name && e['event-bus-name'] !== name),
          );
        }
        return { EventBusName: name, BusExists: bus !== undefined, Events: events, Dropped: droppedHere };
      },
    },
    snapshot(): EventBridgeSnapshot {
      return {
        buses: Object.fromEntries(
          [...buses].map(([key, map]) => [key, [...map.values()].map(({ events: _events, ...bus }) => bus)]),
        ),
        events: Object.fromEntries(
          [...buses].map(([key, map]) => [
            key,
            Object.fromEntries([...map.values()].map((b) => [b.name, b.events])),
          ]),
        ),
        dropped: Object.fromEntries(dropped),
      };
    },
    restore(state) {
      const snapshot = structuredClone(state ?? {}) as Partial<EventBridgeSnapshot>;
      buses = new Map(
        Object.entries(snapshot.buses ?? {}).map(([key, list]) => [
          key,
          new Map(
            list.map((bus) => [bus.name, { ...bus, events: snapshot.events?.[key]?.[bus.name] ?? [] }]),
          ),
        ]),
      );
      dropped = new Map(Object.entries(snapshot.dropped ?? {}));
    },
  };
};
