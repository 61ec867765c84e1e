/**
 * PutEvents with the limits the EventBridge API reference and user guide document: 1 to 10
 * entries, a request size computed as "Calculating PutEvents event entry size" describes, and
 * per-entry errors (FailedEntryCount) for entries that are not valid.
 */
import { randomUUID } from 'node:crypto';
import type { InputReader } from '../../core/input.js';
import type { RequestContext } from '../../types.js';
import { busName, type EventBusModel, type RecordedEvent } from './model.js';

const MAX_ENTRIES = 10;

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

/** One entry as an event, or the per-entry error AWS reports for it. */
const toEvent = (entry: Record<string, unknown>, ctx: RequestContext) => {
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
    return entryError('InvalidArgument', 'Parameter Resources is not valid: it must be a list of strings.');
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
  return event;
};

export const putEvents = (
  input: InputReader,
  ctx: RequestContext,
  model: EventBusModel,
  maxRequestBytes: number,
) => {
  const entries = input.raw.Entries;
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
    const count = Array.isArray(entries) ? entries.length : 0;
    throw input.error(
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES} (got ${count}); split the events into batches of ${MAX_ENTRIES}.`,
    );
  }
  const total = entries.reduce(
    (sum: number, entry) => sum + putEventsEntrySize((entry ?? {}) as Record<string, unknown>),
    0,
  );
  if (total > maxRequestBytes) {
    throw input.error(
      `Total size of the entries in the request is over the limit (${total} bytes > ${maxRequestBytes}); send fewer or smaller entries.`,
    );
  }
  const results = entries.map((raw) => {
    // Per-entry problems are reported in Entries with FailedEntryCount, not as a request error.
    const event = toEvent((raw ?? {}) as Record<string, unknown>, ctx);
    if ('ErrorCode' in event) return event;
    // AWS accepts events for a bus that does not exist and drops them (they get an EventId);
    // the local endpoint keeps them apart so tests can see the mistake.
    model.record(ctx, event);
    return { EventId: event.id };
  });
  return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
};
