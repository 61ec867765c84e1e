import { AwsError } from '../../aws-error.js';
import { describeWith } from '../../core/iam/authorization.js';
import { InputReader } from '../../core/input.js';
import type { LocalService, RequestContext } from '../../types.js';
import {
  accessRules,
  type CacheScope,
  type CacheServiceOptions,
  type CacheUserRecord,
  cacheServiceState,
  checkPasswords,
  describePage,
  type GroupRecord,
  NAME,
  setUserArgs,
  statusOf,
  userView,
} from '../elasticache/model.js';
import { MEMORYDB_DESCRIPTORS } from './authorization.js';

/**
 * The local MemoryDB's user operations (CreateUser, DescribeUsers, UpdateUser, DeleteUser,
 * CreateACL, DescribeACLs) over its JSON protocol (`X-Amz-Target: AmazonMemoryDB.<Operation>`,
 * JSON 1.1), with the errors of the MemoryDB API reference. Users share the ElastiCache model
 * (../elasticache/model.ts): MemoryDB names them by `UserName` and groups them in ACLs; every
 * account and Region has the built-in ACL `open-access`. Changes to the users of an ACL attached
 * with `--redis-for` are applied to that Redis.
 */

/** A scope's `groups` are its ACLs. */
type Scope = CacheScope;

const invalidValue = (message: string) => new AwsError('InvalidParameterValueException', message);
const invalidCombination = (message: string) => new AwsError('InvalidParameterCombinationException', message);
const userNotFound = (name: string) => new AwsError('UserNotFoundFault', `User ${name} not found.`);
const aclNotFound = (name: string) => new AwsError('ACLNotFoundFault', `ACL ${name} not found.`);
const NAME_RULE = { pattern: NAME, hint: 'a letter, then letters, digits and hyphens' };

const userJson = (user: CacheUserRecord, now: Date) => {
  const view = userView(user, now);
  return {
    Name: user.userName,
    Status: view.status,
    AccessString: user.accessString,
    ACLNames: [...user.groups],
    MinimumEngineVersion: '6.2',
    Authentication: view.authentication,
    ARN: user.arn,
  };
};

const aclJson = (acl: GroupRecord, now: Date) => ({
  Name: acl.id,
  Status: statusOf(acl, now),
  UserNames: [...acl.userIds],
  MinimumEngineVersion: '6.2',
  Clusters: [],
  ARN: acl.arn,
});

/** AuthenticationMode of CreateUser/UpdateUser: password with 1–2 passwords, or iam. */
const authenticationOf = (input: InputReader) => {
  if (!input.has('AuthenticationMode')) return undefined;
  const mode = new InputReader(input.raw.AuthenticationMode, input.errorType, 'AuthenticationMode.');
  const type = mode.optEnum('Type', ['password', 'iam']) ?? 'password';
  const passwords = mode.optStringList('Passwords') ?? [];
  if (type === 'iam') {
    if (passwords.length > 0)
      throw invalidCombination('AuthenticationMode.Passwords cannot be given with Type iam.');
    return { type, passwords } as const;
  }
  checkPasswords(passwords, invalidValue);
  return { type, passwords } as const;
};

export const createMemoryDb = (options: CacheServiceOptions): LocalService => {
  const { store, dataPlane, propagate, snapshot, restore } = cacheServiceState(
    options,
    (scope) => ({
      users: new Map(),
      groups: new Map([
        [
          'open-access',
          {
            id: 'open-access',
            engine: 'redis',
            arn: `arn:aws:memorydb:${scope.region}:${scope.account}:acl/open-access`,
            userIds: [],
            modifyingUntil: 0,
          },
        ],
      ]),
    }),
    'The MemoryDB state',
  );
  /** One page of a Describe answer (MaxResults, NextToken). */
  const page = <T>(items: readonly T[], input: InputReader, binding: unknown) =>
    describePage(items, {
      token: input.optString('NextToken'),
      limit: input.optInt('MaxResults', 1, 100) ?? 100,
      invalidType: 'InvalidParameterValueException',
      tokenName: 'NextToken',
      binding,
    });

  const userOf = (scope: Scope, name: string): CacheUserRecord => {
    const user = scope.users.get(name);
    if (!user) throw userNotFound(name);
    return user;
  };
  const tagsOf = (input: InputReader) =>
    (input.optObjectList('Tags') ?? []).map((tag) => ({
      Key: tag.reqString('Key', { max: 128 }),
      Value: tag.optString('Value', { max: 256 }) ?? '',
    }));

  type Operation = (input: InputReader, scope: Scope, ctx: RequestContext) => Promise<unknown>;
  const operations: Record<string, Operation> = {
    async CreateUser(input, scope, ctx) {
      const name = input.reqString('UserName', NAME_RULE);
      const accessString = input.reqString('AccessString');
      accessRules(accessString, invalidValue);
      const auth = authenticationOf(input);
      if (!auth)
        throw invalidValue('AuthenticationMode is required: a MemoryDB user needs passwords or IAM.');
      if (scope.users.has(name)) throw new AwsError('UserAlreadyExistsFault', `User ${name} already exists.`);
      const user: CacheUserRecord = {
        id: name,
        userName: name,
        engine: 'redis',
        accessString,
        authenticationType: auth.type,
        passwords: [...auth.passwords],
        arn: `arn:aws:memorydb:${ctx.region}:${ctx.accountId}:user/${name}`,
        modifyingUntil: 0,
        groups: [],
        tags: tagsOf(input),
      };
      scope.users.set(name, user);
      return { User: userJson(user, ctx.now) };
    },

    async DescribeUsers(input, scope, ctx) {
      const name = input.optString('UserName');
      const filters = (input.optObjectList('Filters') ?? []).map((filter) => ({
        name: filter.reqString('Name'),
        values: filter.optStringList('Values', { minItems: 1 }) ?? [],
      }));
      for (const filter of filters) {
        if (filter.name !== 'accessString')
          throw invalidValue(`Filter ${filter.name} is not supported; use accessString.`);
      }
      if (name !== undefined && !scope.users.has(name)) throw userNotFound(name);
      const users = [...scope.users.values()]
        .filter((u) => name === undefined || u.id === name)
        .filter((u) => filters.every((f) => f.values.includes(u.accessString)))
        .sort((a, b) => a.id.localeCompare(b.id));
      const found = page(users, input, [name, filters]);
      return {
        Users: found.items.map((u) => userJson(u, ctx.now)),
        ...(found.next ? { NextToken: found.next } : {}),
      };
    },

    async UpdateUser(input, scope, ctx) {
      const user = userOf(scope, input.reqString('UserName', NAME_RULE));
      const accessString = input.optString('AccessString');
      if (accessString !== undefined) accessRules(accessString, invalidValue);
      const auth = authenticationOf(input);
      if (accessString === undefined && auth === undefined) {
        throw invalidValue('Nothing to update: give AccessString or AuthenticationMode.');
      }
      if (statusOf(user, ctx.now) !== 'active') {
        throw new AwsError(
          'InvalidUserStateFault',
          `User ${user.id} has status modifying; wait until it is active.`,
        );
      }
      if (accessString !== undefined) user.accessString = accessString;
      if (auth !== undefined) {
        user.authenticationType = auth.type;
        user.passwords = [...auth.passwords];
      }
      await propagate(user, () => dataPlane.apply(user.groups, [setUserArgs(user)]));
      return { User: userJson(user, ctx.now) };
    },

    async DeleteUser(input, scope, ctx) {
      const user = userOf(scope, input.reqString('UserName', NAME_RULE));
      if (statusOf(user, ctx.now) !== 'active') {
        throw new AwsError(
          'InvalidUserStateFault',
          `User ${user.id} has status modifying; wait until it is active.`,
        );
      }
      await dataPlane.apply(user.groups, [['ACL', 'DELUSER', user.userName]]);
      for (const aclName of user.groups) {
        const acl = scope.groups.get(aclName);
        if (acl) acl.userIds = acl.userIds.filter((u) => u !== user.id);
      }
      scope.users.delete(user.id);
      return { User: { ...userJson({ ...user, groups: [] }, ctx.now), Status: 'deleting' } };
    },

    async CreateACL(input, scope, ctx) {
      const name = input.reqString('ACLName', NAME_RULE);
      const userNames = [...new Set(input.optStringList('UserNames') ?? [])];
      if (scope.groups.has(name)) throw new AwsError('ACLAlreadyExistsFault', `ACL ${name} already exists.`);
      const users = userNames.map((u) => userOf(scope, u));
      const acl: GroupRecord = {
        id: name,
        engine: 'redis',
        arn: `arn:aws:memorydb:${ctx.region}:${ctx.accountId}:acl/${name}`,
        userIds: userNames,
        modifyingUntil: 0,
      };
      tagsOf(input);
      await dataPlane.apply([name], users.map(setUserArgs));
      scope.groups.set(name, acl);
      for (const user of users) user.groups.push(name);
      return { ACL: aclJson(acl, ctx.now) };
    },

    async DescribeACLs(input, scope, ctx) {
      const name = input.optString('ACLName');
      if (name !== undefined && !scope.groups.has(name)) throw aclNotFound(name);
      const acls = [...scope.groups.values()]
        .filter((a) => name === undefined || a.id === name)
        .sort((a, b) => a.id.localeCompare(b.id));
      const found = page(acls, input, [name]);
      return {
        ACLs: found.items.map((a) => aclJson(a, ctx.now)),
        ...(found.next ? { NextToken: found.next } : {}),
      };
    },
  };

  return {
    targetPrefix: 'AmazonMemoryDB',
    jsonVersion: '1.1',
    authorization: {
      prefix: 'memorydb',
      checks: describeWith(MEMORYDB_DESCRIPTORS, {
        tagsOf: (ctx, kind, name) =>
          kind === 'user' ? store.peek(ctx.accountId, ctx.region)?.users.get(name)?.tags : undefined,
      }),
    },
    async handle(operation, raw, requestCtx) {
      const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      if (!run) {
        throw new AwsError(
          'UnknownOperationException',
          `MemoryDB operation ${operation} is not served locally; served: ${Object.keys(operations).sort().join(', ')}.`,
        );
      }
      const ctx = { ...requestCtx, now: options.clock.now() };
      return run(new InputReader(raw, 'InvalidParameterValueException'), store.of(ctx), ctx);
    },
    snapshot,
    restore,
  };
};
