/**
 * The local EventBridge (`AWSEvents`, JSON 1.1): PutEvents with the documented limits and
 * per-entry errors (`put-events.ts`), minimal event bus management (`provider.ts`), and every
 * accepted event recorded on its bus (`model.ts`) for `/_rekey/AWSEvents/events` (`admin.ts`).
 */
import { AwsError } from '../../aws-error.js';
import { InputReader } from '../../core/input.js';
import type { Clock } from '../../server.js';
import type { LocalService } from '../../types.js';
import { adminRoutes } from './admin.js';
import { eventBridgeAuthorization } from './authorization.js';
import { type EventBridgeSnapshot, EventBusModel } from './model.js';
import { busOperations } from './provider.js';
import { putEvents } from './put-events.js';

export type { RecordedEvent } from './model.js';
export { putEventsEntrySize } from './put-events.js';

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

const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;
const DEFAULT_MAX_EVENTS = 10_000;

export const createEventBridge = (options: EventBridgeOptions): LocalService => {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const model = new EventBusModel(options.maxEventsPerBus ?? DEFAULT_MAX_EVENTS);

  return {
    targetPrefix: 'AWSEvents',
    jsonVersion: '1.1',
    // IAM checks per operation (authorization.ts).
    authorization: eventBridgeAuthorization(),
    async handle(operation, raw, ctx) {
      const input = new InputReader(raw, 'ValidationException');
      if (operation === 'PutEvents') return putEvents(input, ctx, model, maxRequestBytes);
      const run = busOperations[operation];
      if (!run) {
        throw new AwsError(
          'UnknownOperationException',
          `The local EventBridge does not implement ${operation}.`,
        );
      }
      return run(input, ctx, model);
    },
    admin: adminRoutes(model),
    snapshot: (): EventBridgeSnapshot => model.snapshot(),
    restore: (state) => model.restore(state),
  };
};
