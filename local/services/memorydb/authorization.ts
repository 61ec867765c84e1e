import {
  type AuthorizationCheck,
  inputString,
  inputTags,
  requestTagContext,
  resourceTagContext,
  type ServiceDescriptors,
  type TagLike,
} from '../../core/iam/authorization.js';
import type { RequestContext } from '../../types.js';

/**
 * MemoryDB's user operations as IAM checks (Service Authorization Reference, "Actions, resources,
 * and condition keys for Amazon MemoryDB"): users are `arn:aws:memorydb:REGION:ACCOUNT:user/NAME`,
 * ACLs `...:acl/NAME`, and the IAM actions spell ACL as `Acl` (`memorydb:CreateAcl`,
 * `memorydb:DescribeAcls`). Resource tags are `aws:ResourceTag/*`; create calls carry the request's.
 */

export interface MemoryDbAuthorizationState {
  tagsOf(ctx: RequestContext, kind: 'user' | 'acl', name: string): readonly TagLike[] | undefined;
}

type Input = Readonly<Record<string, unknown>>;
type Request = { input: Input; ctx: RequestContext; state: MemoryDbAuthorizationState; operation: string };

const arnOf = (ctx: RequestContext, kind: 'user' | 'acl', name: string): string =>
  `arn:aws:memorydb:${ctx.region}:${ctx.accountId}:${kind}/${name}`;

/** The IAM action of an operation: the API's `ACL` is `Acl` in IAM. */
export const memoryDbAction = (operation: string): string => `memorydb:${operation.replace('ACL', 'Acl')}`;

const on =
  (kind: 'user' | 'acl', field: string, optional = false) =>
  ({ input, ctx, state, operation }: Request): AuthorizationCheck[] => {
    const name = inputString(input, field);
    if (name === undefined) return optional ? [{ action: memoryDbAction(operation), resource: '*' }] : [];
    return [
      {
        action: memoryDbAction(operation),
        resource: arnOf(ctx, kind, name),
        context: resourceTagContext(state.tagsOf(ctx, kind, name)),
      },
    ];
  };

const creating =
  (kind: 'user' | 'acl', field: string) =>
  ({ input, ctx, operation }: Request): AuthorizationCheck[] => {
    const name = inputString(input, field);
    return [
      {
        action: memoryDbAction(operation),
        resource: name === undefined ? '*' : arnOf(ctx, kind, name),
        context: requestTagContext(inputTags(input.Tags)),
      },
    ];
  };

export const MEMORYDB_DESCRIPTORS: ServiceDescriptors<MemoryDbAuthorizationState> = {
  prefix: 'memorydb',
  operations: {
    CreateUser: creating('user', 'UserName'),
    DescribeUsers: on('user', 'UserName', true),
    UpdateUser: on('user', 'UserName'),
    DeleteUser: on('user', 'UserName'),
    CreateACL: creating('acl', 'ACLName'),
    DescribeACLs: on('acl', 'ACLName', true),
  },
};
