import { inputTags, type ServiceDescriptors } from '../../core/iam/authorization.js';
import {
  type CacheAuthorizationState,
  type CacheNaming,
  creatingResource,
  onResource,
} from '../elasticache/authorization.js';

/**
 * MemoryDB's user operations as IAM checks (Service Authorization Reference, "Actions, resources,
 * and condition keys for Amazon MemoryDB"): users are `arn:aws:memorydb:REGION:ACCOUNT:user/NAME`,
 * ACLs `...:acl/NAME`, and the IAM actions spell ACL as `Acl` (`memorydb:CreateAcl`,
 * `memorydb:DescribeAcls`). Resource tags are `aws:ResourceTag/*`; create calls carry the request's.
 */

type Kind = 'user' | 'acl';

/** The IAM action of an operation: the API's `ACL` is `Acl` in IAM. */
export const memoryDbAction = (operation: string): string => `memorydb:${operation.replace('ACL', 'Acl')}`;

const MEMORYDB: CacheNaming<Kind> = {
  arnOf: (ctx, kind, name) => `arn:aws:memorydb:${ctx.region}:${ctx.accountId}:${kind}/${name}`,
  actionOf: memoryDbAction,
  requestTags: (input) => inputTags(input.Tags),
};

export const MEMORYDB_DESCRIPTORS: ServiceDescriptors<CacheAuthorizationState<Kind>> = {
  prefix: 'memorydb',
  operations: {
    CreateUser: creatingResource(MEMORYDB, 'user', 'UserName'),
    DescribeUsers: onResource(MEMORYDB, 'user', 'UserName', true),
    UpdateUser: onResource(MEMORYDB, 'user', 'UserName'),
    DeleteUser: onResource(MEMORYDB, 'user', 'UserName'),
    CreateACL: creatingResource(MEMORYDB, 'acl', 'ACLName'),
    DescribeACLs: onResource(MEMORYDB, 'acl', 'ACLName', true),
  },
};
