import { AwsError } from '../../aws-error.js';
import { describeWith } from '../../core/iam/authorization.js';
import { InputReader } from '../../core/input.js';
import type { RequestContext } from '../../types.js';
import { el, type QueryAnswer, type QueryRequest, type QueryService, queryInput } from '../iam/query.js';
import { ELASTICACHE_DESCRIPTORS } from './authorization.js';
import {
  type AuthenticationType,
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
} from './model.js';

/**
 * The local ElastiCache's user operations (CreateUser, DescribeUsers, ModifyUser, DeleteUser,
 * CreateUserGroup, DescribeUserGroups, ModifyUserGroup) over the Query protocol, with the errors
 * of the ElastiCache API reference (their Query codes: `UserNotFound`, `InvalidUserState`, ...).
 * Every account and Region has the built-in user `default` (no password, `on ~* +@all`), which
 * each user group must contain. Changes to the users of a group attached with `--redis-for`
 * are applied to that Redis (data-plane.ts).
 */

const NS = 'http://elasticache.amazonaws.com/doc/2015-02-02/';
const ENGINES = ['redis', 'valkey'];

type Scope = CacheScope;

const invalidValue = (message: string) => new AwsError('InvalidParameterValue', message);
const invalidCombination = (message: string) => new AwsError('InvalidParameterCombination', message);
const userNotFound = (id: string) => new AwsError('UserNotFound', `User ${id} not found.`, 404);
const groupNotFound = (id: string) => new AwsError('UserGroupNotFound', `User group ${id} not found.`, 404);

const list = (name: string, values: readonly string[]) =>
  `<${name}>${values.map((v) => el('member', v)).join('')}</${name}>`;

const userXml = (user: CacheUserRecord, now: Date): string => {
  const view = userView(user, now);
  return `${el('UserId', user.id)}${el('UserName', user.userName)}${el('Status', view.status)}${el('Engine', user.engine)}${el(
    'MinimumEngineVersion',
    '6.0',
  )}${el('AccessString', user.accessString)}${list('UserGroupIds', user.groups)}<Authentication>${el(
    'Type',
    view.authentication.Type,
  )}${el('PasswordCount', view.authentication.PasswordCount?.toString())}</Authentication>${el('ARN', user.arn)}`;
};

const groupXml = (group: GroupRecord, now: Date): string =>
  `${el('UserGroupId', group.id)}${el('Status', statusOf(group, now))}${el('Engine', group.engine)}${list(
    'UserIds',
    group.userIds,
  )}${el('MinimumEngineVersion', '6.0')}${list('ReplicationGroups', [])}${el('ARN', group.arn)}`;

/** The authentication a request asks for: Passwords / NoPasswordRequired, or AuthenticationMode. */
const authenticationOf = (
  input: InputReader,
): { type: AuthenticationType; passwords: string[] } | undefined => {
  const passwords = input.optStringList('Passwords');
  const noPassword = input.optString('NoPasswordRequired');
  const mode = input.has('AuthenticationMode')
    ? new InputReader(input.raw.AuthenticationMode, 'InvalidParameterValue', 'AuthenticationMode.')
    : undefined;
  if (mode && (passwords !== undefined || noPassword !== undefined)) {
    throw invalidCombination('Specify AuthenticationMode, or Passwords/NoPasswordRequired, not both.');
  }
  if (mode) {
    const type = mode.optEnum('Type', ['password', 'no-password-required', 'iam']);
    const modePasswords = mode.optStringList('Passwords') ?? [];
    if (type === undefined) throw invalidValue('AuthenticationMode.Type is required.');
    if (type === 'password') {
      checkPasswords(modePasswords, invalidValue);
      return { type: 'password', passwords: modePasswords };
    }
    if (modePasswords.length > 0) {
      throw invalidCombination(
        `AuthenticationMode.Passwords can only be given with Type password, not ${type}.`,
      );
    }
    return { type: type === 'iam' ? 'iam' : 'no-password', passwords: [] };
  }
  if (noPassword === 'true') {
    if (passwords !== undefined && passwords.length > 0) {
      throw invalidCombination('Passwords and NoPasswordRequired=true cannot both be given.');
    }
    return { type: 'no-password', passwords: [] };
  }
  if (passwords !== undefined) {
    checkPasswords(passwords, invalidValue);
    return { type: 'password', passwords };
  }
  return undefined;
};

export const createElastiCache = (options: CacheServiceOptions): QueryService => {
  const { store, dataPlane, propagate, snapshot, restore } = cacheServiceState(
    options,
    (scope) => ({
      users: new Map([
        [
          'default',
          {
            id: 'default',
            userName: 'default',
            engine: 'redis',
            accessString: 'on ~* +@all',
            authenticationType: 'no-password',
            passwords: [],
            arn: `arn:aws:elasticache:${scope.region}:${scope.account}:user:default`,
            modifyingUntil: 0,
            groups: [],
            tags: [],
          },
        ],
      ]),
      groups: new Map(),
    }),
    'The ElastiCache state',
  );

  /** One page of a Describe answer (MaxRecords 20 to 100, Marker). */
  const page = <T>(items: readonly T[], input: InputReader, binding: unknown) => {
    const limit = Number(input.optString('MaxRecords') ?? '100');
    if (!Number.isInteger(limit) || limit < 20 || limit > 100) {
      throw invalidValue('MaxRecords must be an integer from 20 to 100.');
    }
    return describePage(items, {
      token: input.optString('Marker'),
      limit,
      invalidType: 'InvalidParameterValue',
      tokenName: 'Marker',
      binding,
    });
  };
  const userOf = (scope: Scope, id: string): CacheUserRecord => {
    const user = scope.users.get(id);
    if (!user) throw userNotFound(id);
    return user;
  };
  const groupOf = (scope: Scope, id: string): GroupRecord => {
    const group = scope.groups.get(id);
    if (!group) throw groupNotFound(id);
    return group;
  };
  const deleteArgs = (user: CacheUserRecord) => ['ACL', 'DELUSER', user.userName];

  type Operation = (input: InputReader, scope: Scope, ctx: RequestContext) => Promise<string | undefined>;
  const operations: Record<string, Operation> = {
    async CreateUser(input, scope, ctx) {
      const id = input.reqString('UserId', {
        pattern: NAME,
        hint: 'a letter, then letters, digits and hyphens',
      });
      const userName = input.reqString('UserName');
      const engine = input.reqString('Engine').toLowerCase();
      if (!ENGINES.includes(engine)) throw invalidValue(`Engine must be one of ${ENGINES.join(', ')}.`);
      const accessString = input.reqString('AccessString');
      accessRules(accessString, invalidValue);
      const auth = authenticationOf(input);
      if (!auth) {
        throw invalidValue('A user needs Passwords, NoPasswordRequired=true or an AuthenticationMode.');
      }
      if (scope.users.has(id)) throw new AwsError('UserAlreadyExists', `User ${id} already exists.`);
      if ([...scope.users.values()].some((u) => u.userName === userName)) {
        throw new AwsError('DuplicateUserName', `A user with user name ${userName} already exists.`);
      }
      const tags = (input.optObjectList('Tags') ?? []).map((tag) => ({
        Key: tag.reqString('Key', { max: 128 }),
        Value: tag.optString('Value', { max: 256 }) ?? '',
      }));
      const user: CacheUserRecord = {
        id,
        userName,
        engine,
        accessString,
        authenticationType: auth.type,
        passwords: auth.passwords,
        arn: `arn:aws:elasticache:${ctx.region}:${ctx.accountId}:user:${id}`,
        modifyingUntil: 0,
        groups: [],
        tags,
      };
      scope.users.set(id, user);
      return userXml(user, ctx.now);
    },

    async DescribeUsers(input, scope, ctx) {
      const id = input.optString('UserId');
      const engine = input.optString('Engine')?.toLowerCase();
      const filterIds = (input.optObjectList('Filters') ?? []).flatMap((filter) => {
        const name = filter.reqString('Name');
        if (name !== 'user-id') throw invalidValue(`Filter ${name} is not supported; use user-id.`);
        return filter.optStringList('Values', { minItems: 1 }) ?? [];
      });
      if (id !== undefined && !scope.users.has(id)) throw userNotFound(id);
      const users = [...scope.users.values()]
        .filter((u) => id === undefined || u.id === id)
        .filter((u) => engine === undefined || u.engine === engine)
        .filter((u) => filterIds.length === 0 || filterIds.includes(u.id))
        .sort((a, b) => a.id.localeCompare(b.id));
      const found = page(users, input, [id, engine, filterIds]);
      return `<Users>${found.items.map((u) => `<member>${userXml(u, ctx.now)}</member>`).join('')}</Users>${el('Marker', found.next)}`;
    },

    async ModifyUser(input, scope, ctx) {
      const user = userOf(scope, input.reqString('UserId'));
      const accessString = input.optString('AccessString');
      const append = input.optString('AppendAccessString');
      if (accessString !== undefined && append !== undefined) {
        throw invalidCombination('AccessString and AppendAccessString cannot both be given.');
      }
      const next = accessString ?? (append === undefined ? undefined : `${user.accessString} ${append}`);
      if (next !== undefined) accessRules(next, invalidValue);
      const auth = authenticationOf(input);
      if (next === undefined && auth === undefined) {
        throw invalidValue(
          'Nothing to modify: give AccessString, AppendAccessString or an authentication change.',
        );
      }
      if (statusOf(user, ctx.now) !== 'active') {
        throw new AwsError(
          'InvalidUserState',
          `User ${user.id} has status modifying; wait until it is active.`,
        );
      }
      if (next !== undefined) user.accessString = next;
      if (auth !== undefined) {
        user.authenticationType = auth.type;
        user.passwords = auth.passwords;
      }
      await propagate(user, () => dataPlane.apply(user.groups, [setUserArgs(user)]));
      return userXml(user, ctx.now);
    },

    async DeleteUser(input, scope, ctx) {
      const user = userOf(scope, input.reqString('UserId'));
      if (user.id === 'default') throw invalidValue('The default user cannot be deleted.');
      if (statusOf(user, ctx.now) !== 'active') {
        throw new AwsError(
          'InvalidUserState',
          `User ${user.id} has status modifying; wait until it is active.`,
        );
      }
      for (const groupId of user.groups) {
        const group = scope.groups.get(groupId);
        if (group) group.userIds = group.userIds.filter((u) => u !== user.id);
      }
      await dataPlane.apply(user.groups, [deleteArgs(user)]);
      scope.users.delete(user.id);
      return userXml({ ...user, groups: [] }, ctx.now).replace(
        '<Status>active</Status>',
        '<Status>deleting</Status>',
      );
    },

    async CreateUserGroup(input, scope, ctx) {
      const id = input.reqString('UserGroupId', {
        pattern: NAME,
        hint: 'a letter, then letters, digits and hyphens',
      });
      const engine = input.reqString('Engine').toLowerCase();
      if (!ENGINES.includes(engine)) throw invalidValue(`Engine must be one of ${ENGINES.join(', ')}.`);
      const userIds = [...new Set(input.optStringList('UserIds') ?? [])];
      if (scope.groups.has(id))
        throw new AwsError('UserGroupAlreadyExists', `User group ${id} already exists.`);
      const users = userIds.map((u) => userOf(scope, u));
      if (!users.some((u) => u.userName === 'default')) {
        throw new AwsError(
          'DefaultUserRequired',
          'A user group must contain a user with the user name default.',
        );
      }
      const group: GroupRecord = {
        id,
        engine,
        arn: `arn:aws:elasticache:${ctx.region}:${ctx.accountId}:usergroup:${id}`,
        userIds,
        modifyingUntil: 0,
      };
      await dataPlane.apply([id], users.map(setUserArgs));
      scope.groups.set(id, group);
      for (const user of users) user.groups.push(id);
      return groupXml(group, ctx.now);
    },

    async DescribeUserGroups(input, scope, ctx) {
      const id = input.optString('UserGroupId');
      if (id !== undefined) groupOf(scope, id);
      const groups = [...scope.groups.values()]
        .filter((g) => id === undefined || g.id === id)
        .sort((a, b) => a.id.localeCompare(b.id));
      const found = page(groups, input, [id]);
      return `<UserGroups>${found.items.map((g) => `<member>${groupXml(g, ctx.now)}</member>`).join('')}</UserGroups>${el('Marker', found.next)}`;
    },

    async ModifyUserGroup(input, scope, ctx) {
      const group = groupOf(scope, input.reqString('UserGroupId'));
      const add = [...new Set(input.optStringList('UserIdsToAdd') ?? [])].map((u) => userOf(scope, u));
      const remove = [...new Set(input.optStringList('UserIdsToRemove') ?? [])].map((u) => userOf(scope, u));
      if (add.length === 0 && remove.length === 0) {
        throw invalidValue('Give UserIdsToAdd or UserIdsToRemove.');
      }
      if (statusOf(group, ctx.now) !== 'active') {
        throw new AwsError(
          'InvalidUserGroupState',
          `User group ${group.id} is modifying; wait until it is active.`,
        );
      }
      const removedIds = new Set(remove.map((u) => u.id));
      const members = [...group.userIds.filter((u) => !removedIds.has(u)), ...add.map((u) => u.id)];
      const kept = [...new Set(members)].map((u) => userOf(scope, u));
      if (!kept.some((u) => u.userName === 'default')) {
        throw new AwsError(
          'DefaultUserRequired',
          'A user group must keep a user with the user name default.',
        );
      }
      group.userIds = kept.map((u) => u.id);
      for (const user of remove) user.groups = user.groups.filter((g) => g !== group.id);
      for (const user of add) if (!user.groups.includes(group.id)) user.groups.push(group.id);
      await propagate(group, () =>
        dataPlane.apply([group.id], [...remove.map(deleteArgs), ...add.map(setUserArgs)]),
      );
      return groupXml(group, ctx.now);
    },
  };

  return {
    targetPrefix: 'elasticache',
    jsonVersion: '1.1',
    querySigningServices: ['elasticache'],
    queryNamespace: NS,
    authorization: {
      prefix: 'elasticache',
      checks: describeWith(ELASTICACHE_DESCRIPTORS, {
        tagsOf: (ctx, kind, id) =>
          kind === 'user' ? store.peek(ctx.accountId, ctx.region)?.users.get(id)?.tags : undefined,
      }),
    },
    async handle(operation) {
      throw new AwsError(
        'UnknownOperationException',
        `ElastiCache speaks the Query protocol here (form-encoded POST with Action=${operation}), not JSON.`,
      );
    },
    async query(request: QueryRequest): Promise<QueryAnswer> {
      const run = Object.hasOwn(operations, request.action) ? operations[request.action] : undefined;
      if (!run) {
        throw new AwsError(
          'InvalidAction',
          `ElastiCache action ${request.action} is not served locally; served: ${Object.keys(operations).sort().join(', ')}.`,
        );
      }
      const ctx = { ...request.ctx, now: options.clock.now() };
      const input = new InputReader(queryInput(request.params, ['member', 'Tag']), 'InvalidParameterValue');
      return { namespace: NS, resultXml: await run(input, store.of(ctx), ctx) };
    },
    snapshot,
    restore,
  };
};
