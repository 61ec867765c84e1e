/** Event bus management: CreateEventBus, DescribeEventBus, ListEventBuses, DeleteEventBus. */
import { AwsError } from '../../aws-error.js';
import type { InputReader } from '../../core/input.js';
import { fingerprint, pageOf } from '../../core/paging.js';
import { scopeOfRequest } from '../../core/store.js';
import type { RequestContext } from '../../types.js';
import { BUS_NAME, type Bus, busArn, busName, type EventBusModel } from './model.js';

export type BusOperation = (input: InputReader, ctx: RequestContext, model: EventBusModel) => unknown;

const requireBus = (model: EventBusModel, value: unknown, ctx: RequestContext): Bus => {
  const name = busName(value, ctx);
  const bus = name ? model.of(ctx).buses.get(name) : undefined;
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

export const busOperations: Record<string, BusOperation> = {
  CreateEventBus(input, ctx, model) {
    const name = input.raw.Name;
    if (typeof name !== 'string' || !BUS_NAME.test(name)) {
      throw input.error(`Name ${String(name)} is not a valid event bus name: 1-256 of [/.-_A-Za-z0-9].`);
    }
    if (name.startsWith('aws.')) {
      throw input.error(
        'Names starting with aws. are for partner event buses, which the local endpoint does not emulate.',
      );
    }
    const buses = model.of(ctx).buses;
    if (buses.has(name))
      throw new AwsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
    const bus: Bus = {
      name,
      arn: busArn(scopeOfRequest(ctx), name),
      createdAt: ctx.now.toISOString(),
      events: [],
    };
    if (typeof input.raw.Description === 'string') bus.description = input.raw.Description;
    buses.set(name, bus);
    return { EventBusArn: bus.arn, Description: bus.description };
  },

  DescribeEventBus: (input, ctx, model) => describe(requireBus(model, input.raw.Name, ctx)),

  ListEventBuses(input, ctx, model) {
    const prefix = typeof input.raw.NamePrefix === 'string' ? input.raw.NamePrefix : '';
    const limit = input.optInt('Limit', 1, 100) ?? 100;
    const all = [...model.of(ctx).buses.values()]
      .filter((b) => b.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
    const page = pageOf(all, {
      token: input.raw.NextToken,
      limit,
      invalid: {
        type: 'ValidationException',
        message:
          'NextToken is not valid: pass the NextToken of the previous response, with the same NamePrefix.',
      },
      binding: fingerprint(prefix),
    });
    return { EventBuses: page.items.map(describe), NextToken: page.next };
  },

  DeleteEventBus(input, ctx, model) {
    const name = busName(input.raw.Name, ctx);
    if (name === 'default') throw input.error('Cannot delete event bus default.');
    // Deleting a bus that does not exist succeeds, as on AWS.
    if (name) model.of(ctx).buses.delete(name);
    return {};
  },
};
