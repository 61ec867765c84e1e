/**
 * The IAM checks of the EventBridge operations the endpoint serves (Service Authorization
 * Reference, "Actions, resources, and condition keys for Amazon EventBridge"): PutEvents needs
 * `events:PutEvents` on each entry's bus, with `events:source` and `events:detail-type`; the
 * bus operations act on the bus named.
 */
import {
  type AuthorizationCheck,
  describeWith,
  inputString,
  inputTags,
  requestTagContext,
  type ServiceAuthorizer,
  type ServiceDescriptors,
} from '../../core/iam/index.js';
import type { RequestContext } from '../../types.js';

const busArn = (ctx: RequestContext, nameOrArn: string | undefined): string =>
  nameOrArn?.startsWith('arn:')
    ? nameOrArn
    : `arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/${nameOrArn || 'default'}`;

export const EVENTBRIDGE_DESCRIPTORS: ServiceDescriptors<undefined> = {
  prefix: 'events',
  operations: {
    PutEvents: ({ input, ctx }) => {
      const entries = Array.isArray(input.Entries) ? input.Entries : [];
      const checks: AuthorizationCheck[] = [];
      for (const raw of entries) {
        const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
        checks.push({
          action: 'events:PutEvents',
          resource: busArn(ctx, inputString(entry, 'EventBusName')),
          context: {
            ...(typeof entry.Source === 'string' ? { 'events:source': entry.Source } : {}),
            ...(typeof entry.DetailType === 'string' ? { 'events:detail-type': entry.DetailType } : {}),
          },
        });
      }
      return checks.length ? checks : [{ action: 'events:PutEvents', resource: busArn(ctx, undefined) }];
    },
    CreateEventBus: ({ input, ctx }) => [
      {
        action: 'events:CreateEventBus',
        resource: busArn(ctx, inputString(input, 'Name')),
        context: requestTagContext(inputTags(input.Tags)),
      },
    ],
    DescribeEventBus: ({ input, ctx }) => [
      { action: 'events:DescribeEventBus', resource: busArn(ctx, inputString(input, 'Name')) },
    ],
    DeleteEventBus: ({ input, ctx }) => [
      { action: 'events:DeleteEventBus', resource: busArn(ctx, inputString(input, 'Name')) },
    ],
    ListEventBuses: () => [{ action: 'events:ListEventBuses', resource: '*' }],
  },
};

export const eventBridgeAuthorization = (): ServiceAuthorizer => ({
  prefix: 'events',
  checks: describeWith(EVENTBRIDGE_DESCRIPTORS, undefined),
});
