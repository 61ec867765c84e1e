import {
  type AuthorizationCheck,
  inputString,
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
 */

/** What the descriptors read of the stored state: a user's or group's tags, when it exists. */
export interface ElastiCacheAuthorizationState {
  tagsOf(ctx: RequestContext, kind: 'user' | 'usergroup', id: string): readonly TagLike[] | undefined;
}

type Input = Readonly<Record<string, unknown>>;
type Request = { input: Input; ctx: RequestContext; state: ElastiCacheAuthorizationState; operation: string };

const arnOf = (ctx: RequestContext, kind: 'user' | 'usergroup', id: string): string =>
  `arn:aws:elasticache:${ctx.region}:${ctx.accountId}:${kind}:${id}`;

const on =
  (kind: 'user' | 'usergroup', field: string, optional = false) =>
  ({ input, ctx, state, operation }: Request): AuthorizationCheck[] => {
    const id = inputString(input, field);
    if (id === undefined) return optional ? [{ action: `elasticache:${operation}`, resource: '*' }] : [];
    return [
      {
        action: `elasticache:${operation}`,
        resource: arnOf(ctx, kind, id),
        context: resourceTagContext(state.tagsOf(ctx, kind, id)),
      },
    ];
  };

const creating =
  (kind: 'user' | 'usergroup', field: string) =>
  ({ input, ctx, operation }: Request): AuthorizationCheck[] => {
    const id = inputString(input, field);
    const tags = queryInput(new URLSearchParams(input as Record<string, string>), ['member', 'Tag']).Tags;
    const requestTags = Array.isArray(tags)
      ? tags.flatMap((t) =>
          typeof t?.Key === 'string' ? [{ Key: t.Key, Value: String(t.Value ?? '') }] : [],
        )
      : undefined;
    return [
      {
        action: `elasticache:${operation}`,
        resource: id === undefined ? '*' : arnOf(ctx, kind, id),
        context: requestTagContext(requestTags),
      },
    ];
  };

export const ELASTICACHE_DESCRIPTORS: ServiceDescriptors<ElastiCacheAuthorizationState> = {
  prefix: 'elasticache',
  operations: {
    CreateUser: creating('user', 'UserId'),
    DescribeUsers: on('user', 'UserId', true),
    ModifyUser: on('user', 'UserId'),
    DeleteUser: on('user', 'UserId'),
    CreateUserGroup: creating('usergroup', 'UserGroupId'),
    DescribeUserGroups: on('usergroup', 'UserGroupId', true),
    ModifyUserGroup: on('usergroup', 'UserGroupId'),
  },
};
