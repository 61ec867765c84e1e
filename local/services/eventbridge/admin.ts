/** Routes outside the AWS API, under `/_rekey/AWSEvents/<name>`, for tests and the demo. */
import type { LocalService } from '../../types.js';
import { busName, type EventBusModel } from './model.js';

export const adminRoutes = (model: EventBusModel): NonNullable<LocalService['admin']> => ({
  /**
   * Recorded events of one bus (`EventBusName`, default `default`), oldest first; `clear`
   * empties the bus after reading. `Dropped` lists events sent to buses that do not exist.
   */
  async events(body, ctx) {
    const name = busName(body.EventBusName, ctx);
    const region = model.of(ctx);
    const bus = name ? region.buses.get(name) : undefined;
    const events = bus ? [...bus.events] : [];
    const droppedHere = region.dropped.filter((e) => !name || e['event-bus-name'] === name);
    if (body.clear === true) {
      if (bus) bus.events = [];
      region.dropped = region.dropped.filter((e) => name && e['event-bus-name'] !== name);
    }
    return { EventBusName: name, BusExists: bus !== undefined, Events: events, Dropped: droppedHere };
  },
});
