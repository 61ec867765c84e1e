import {
  type AuthorizationCheck,
  type DescribedRequest,
  inputString,
  type OperationDescriptor,
  requestTagContext,
  resourceTagContext,
  type ServiceDescriptors,
  type TagLike,
} from '../../core/iam/authorization.js';
import type { RequestContext } from '../../types.js';
import { queryInput } from '../iam/query.js';

/**
 * ElastiCache's user operations as IAM checks (Service Authorization Reference, "Actions,
 * resources, and condition keys for Amazon ElastiCache"): each acts on the user
 * (`arn:aws:elasticache:REGION:ACCOUNT:user:USER_ID`) or user group (`...:usergroup:ID`) it
 * names, with the resource's tags as `aws:ResourceTag/*` and, on create, the request's tags.
 * Describe calls without an id act on `*`. The input is the Query request's form parameters.
 * The builders below serve MemoryDB too (../memorydb/authorization.ts).
 */

/** What the descriptors read of the stored state: a resource's tags, when it exists. */
export interface CacheAuthorizationState<K extends string> {
  tagsOf(ctx: RequestContext, kind: K, id: string): readonly TagLike[] | undefined;
}

/** How one service names its resources, actions and request tags. */
export interface CacheNaming<K extends string> {
  arnOf(ctx: RequestContext, kind: K, id: string): string;
  actionOf(operation: string): string;
  requestTags(input: Readonly<Record<string, unknown>>): TagLike[] | undefined;
}

type Descriptor<K extends string> = OperationDescriptor<CacheAuthorizationState<K>>;

/** An operation on the resource `field` names (on `*` when it may be left out and is). */
export const onResource =
  <K extends string>(naming: CacheNaming<K>, kind: K, field: string, optional = false): Descriptor<K> =>
  ({ input, ctx, state, operation }: DescribedRequest<CacheAuthorizationState<K>>): AuthorizationCheck[] => {
    const id = inputString(input, field);
    if (id === undefined) return optional ? [{ action: naming.actionOf(operation), resource: '*' }] : [];
    return [
      {
        action: naming.actionOf(operation),
        resource: naming.arnOf(ctx, kind, id),
        context: resourceTagContext(state.tagsOf(ctx, kind, id)),
      },
    ];
  };

/** A create: the new resource's ARN, with the tags the request sets. */
export const creatingResource =
  <K extends string>(naming: CacheNaming<K>, kind: K, field: string): Descriptor<K> =>
  ({ input, ctx, operation }: DescribedRequest<CacheAuthorizationState<K>>): AuthorizationCheck[] => {
    const id = inputString(input, field);
    return [
      {
        action: naming.actionOf(operation),
        resource: id === undefined ? '*' : naming.arnOf(ctx, kind, id),
        context: requestTagContext(naming.requestTags(input)),
      },
    ];
  };

type Kind = 'user' | 'usergroup';

const ELASTICACHE: CacheNaming<Kind> = {
  arnOf: (ctx, kind, id) => `arn:aws:elasticache:${ctx.region}:${ctx.accountId}:${kind}:${id}`,
  actionOf: (operation) => `elasticache:${operation}`,
  requestTags(input) {
    const tags = queryInput(new URLSearchParams(input as Record<string, string>), ['member', 'Tag']).Tags;
    return Array.isArray(tags)
      ? tags.flatMap((t) =>
          typeof t?.Key === 'string' ? [{ Key: t.Key, Value: String(t.Value ?? '') }] : [],
        )
      : undefined;
  },
};

export const ELASTICACHE_DESCRIPTORS: ServiceDescriptors<CacheAuthorizationState<Kind>> = {
  prefix: 'elasticache',
  operations: {
    CreateUser: creatingResource(ELASTICACHE, 'user', 'UserId'),
    DescribeUsers: onResource(ELASTICACHE, 'user', 'UserId', true),
    ModifyUser: onResource(ELASTICACHE, 'user', 'UserId'),
    DeleteUser: onResource(ELASTICACHE, 'user', 'UserId'),
    CreateUserGroup: creatingResource(ELASTICACHE, 'usergroup', 'UserGroupId'),
    DescribeUserGroups: onResource(ELASTICACHE, 'usergroup', 'UserGroupId', true),
    ModifyUserGroup: onResource(ELASTICACHE, 'usergroup', 'UserGroupId'),
  },
};
