/**
 * What the local EventBridge keeps per account and Region, on the shared `RegionalStore`: its
 * event buses (the `default` bus always exists) with the events each received, and the events put
 * on buses that do not exist (AWS accepts and drops them; the endpoint keeps them for tests).
 */
import { RegionalStore, type ScopeId } from '../../core/store.js';
import type { RequestContext } from '../../types.js';

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

export interface Bus {
  name: string;
  arn: string;
  description?: string;
  createdAt: string;
  events: RecordedEvent[];
}

export interface RegionBuses {
  buses: Map<string, Bus>;
  /** Events put on buses that do not exist. */
  dropped: RecordedEvent[];
}

/** The `--state` snapshot, by `ACCOUNT/REGION` (older snapshots keyed `ACCOUNT:REGION` are read too). */
export interface EventBridgeSnapshot {
  buses: Record<string, Omit<Bus, 'events'>[]>;
  events: Record<string, Record<string, RecordedEvent[]>>;
  dropped: Record<string, RecordedEvent[]>;
}

export const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const BUS_ARN = /^arn:aws[a-z-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/([/.\-_A-Za-z0-9]{1,256})$/;

export const busArn = (scope: ScopeId, name: string): string =>
  `arn:aws:events:${scope.region}:${scope.account}:event-bus/${name}`;

const withDefaultBus = (scope: ScopeId): RegionBuses => ({
  buses: new Map([
    [
      'default',
      { name: 'default', arn: busArn(scope, 'default'), createdAt: new Date(0).toISOString(), events: [] },
    ],
  ]),
  dropped: [],
});

/** A bus name from a name or an ARN; `undefined` when it is neither (or an ARN of another account/Region). */
export const busName = (value: unknown, ctx: RequestContext): string | undefined => {
  if (value === undefined || value === null || value === '') return 'default';
  if (typeof value !== 'string') return undefined;
  const arn = BUS_ARN.exec(value);
  if (arn) return arn[1] === ctx.region && arn[2] === ctx.accountId ? arn[3] : undefined;
  return BUS_NAME.test(value) ? value : undefined;
};

export class EventBusModel {
  public readonly store = new RegionalStore<RegionBuses>(withDefaultBus);

  public constructor(
    /** Events kept per bus (and per Region for dropped ones), oldest dropped first. */
    private readonly maxEvents: number,
  ) {}

  public of(ctx: RequestContext): RegionBuses {
    return this.store.of(ctx);
  }

  /** Records an accepted event on its bus, or with the dropped ones when the bus does not exist. */
  public record(ctx: RequestContext, event: RecordedEvent): void {
    const region = this.of(ctx);
    const sink = region.buses.get(event['event-bus-name'])?.events ?? region.dropped;
    sink.push(event);
    if (sink.length > this.maxEvents) sink.splice(0, sink.length - this.maxEvents);
  }

  public snapshot(): EventBridgeSnapshot {
    return structuredClone({
      buses: this.store.snapshot((r) => [...r.buses.values()].map(({ events: _events, ...bus }) => bus)),
      events: this.store.snapshot((r) =>
        Object.fromEntries([...r.buses.values()].map((b) => [b.name, b.events])),
      ),
      dropped: this.store.snapshot((r) => (r.dropped.length ? r.dropped : undefined)),
    });
  }

  public restore(state: unknown): void {
    const snapshot = structuredClone(state ?? {}) as Partial<EventBridgeSnapshot>;
    const keys = new Set([...Object.keys(snapshot.buses ?? {}), ...Object.keys(snapshot.dropped ?? {})]);
    const scopes = Object.fromEntries([...keys].map((key) => [key, key]));
    this.store.restore(
      scopes,
      (key: string, scope) => {
        const list = snapshot.buses?.[key];
        const region = list
          ? {
              buses: new Map(
                list.map((bus) => [bus.name, { ...bus, events: snapshot.events?.[key]?.[bus.name] ?? [] }]),
              ),
              dropped: [],
            }
          : withDefaultBus(scope);
        region.dropped = snapshot.dropped?.[key] ?? [];
        return region;
      },
      'EventBridge state',
    );
  }
}
