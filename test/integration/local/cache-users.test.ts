import { randomUUID } from 'node:crypto';
import {
  CreateUserCommand,
  CreateUserGroupCommand,
  DefaultUserRequired,
  DeleteUserCommand,
  DescribeUserGroupsCommand,
  DescribeUsersCommand,
  ElastiCacheClient,
  InvalidParameterValueException,
  InvalidUserStateFault,
  ModifyUserCommand,
  ModifyUserGroupCommand,
  UserNotFoundFault,
} from '@aws-sdk/client-elasticache';
import {
  ACLNotFoundFault,
  CreateACLCommand,
  CreateUserCommand as CreateMemoryDbUser,
  DeleteUserCommand as DeleteMemoryDbUser,
  DescribeACLsCommand,
  DescribeUsersCommand as DescribeMemoryDbUsers,
  MemoryDBClient,
  InvalidParameterValueException as MemoryDbInvalidParameter,
  InvalidUserStateFault as MemoryDbInvalidUserState,
  UserNotFoundFault as MemoryDbUserNotFound,
  UpdateUserCommand,
} from '@aws-sdk/client-memorydb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { type PrivateServer, redisAdmin, redisCanLogin, startPrivateRedis } from '../helpers/databases.js';

/**
 * The local ElastiCache (Query protocol) and MemoryDB (JSON protocol) user APIs, called with the
 * AWS SDK clients, and their data plane: a user group / ACL attached to a private Redis gets
 * each user change as ACL SETUSER. Documented states and errors are checked as the SDK reports them.
 */

const ATTACHED = ['ug-attached', 'acl-attached', 'acl-second'];
let redis: PrivateServer;
let endpoint: TestEndpoint;
let elastiCache: ElastiCacheClient;
let memoryDb: MemoryDBClient;
let admin: Awaited<ReturnType<typeof redisAdmin>>;

beforeAll(async () => {
  redis = await startPrivateRedis();
  endpoint = await startTestEndpoint({
    redisFor: Object.fromEntries(ATTACHED.map((g) => [g, `redis://127.0.0.1:${redis.port}`])),
    cacheModifyingMs: 1000,
  });
  elastiCache = new ElastiCacheClient(endpoint.clientConfig);
  memoryDb = new MemoryDBClient(endpoint.clientConfig);
  admin = await redisAdmin(redis.port);
});

afterAll(async () => {
  await admin?.close();
  elastiCache?.destroy();
  memoryDb?.destroy();
  await endpoint?.stop();
  await redis?.stop();
});

const password = () => `Pw-${randomUUID()}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const aclUser = async (name: string) => (await admin.sendCommand(['ACL', 'GETUSER', name])) as unknown;

describe('local ElastiCache users', () => {
  it('has the built-in default user, and answers UserNotFoundFault for an unknown one', async () => {
    const listed = await elastiCache.send(new DescribeUsersCommand({}));
    expect(listed.Users?.map((u) => u.UserId)).toContain('default');
    await expect(elastiCache.send(new DescribeUsersCommand({ UserId: 'nobody' }))).rejects.toBeInstanceOf(
      UserNotFoundFault,
    );
  });

  it('refuses passwords outside the service rules, naming the rule and never the password', async () => {
    const bad = `short@${randomUUID().slice(0, 4)}`;
    const error = await elastiCache
      .send(
        new CreateUserCommand({
          UserId: 'bad-pass',
          UserName: 'bad-pass',
          Engine: 'redis',
          AccessString: 'on ~* +@all',
          Passwords: [bad],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterValueException);
    expect(String((error as Error).message)).toMatch(/16-128/);
    expect(String((error as Error).message)).not.toContain(bad);
  });

  it('applies users to the attached Redis, is modifying for a while after a change, and refuses a change meanwhile', async () => {
    const first = password();
    const second = password();
    const created = await elastiCache.send(
      new CreateUserCommand({
        UserId: 'ec-app',
        UserName: 'ec-app-user',
        Engine: 'redis',
        AccessString: 'on ~app:* +@all',
        Passwords: [first],
      }),
    );
    expect(created.Status).toBe('active');
    expect(created.Authentication).toEqual({ Type: 'password', PasswordCount: 1 });
    expect(JSON.stringify(created)).not.toContain(first);
    await expect(
      elastiCache.send(
        new CreateUserGroupCommand({ UserGroupId: 'no-default', Engine: 'redis', UserIds: ['ec-app'] }),
      ),
    ).rejects.toBeInstanceOf(DefaultUserRequired);
    await elastiCache.send(
      new CreateUserGroupCommand({
        UserGroupId: 'ug-attached',
        Engine: 'redis',
        UserIds: ['default', 'ec-app'],
      }),
    );
    expect(await redisCanLogin('ec-app-user', first, redis.port)).toBe(true);

    const modified = await elastiCache.send(
      new ModifyUserCommand({
        UserId: 'ec-app',
        AuthenticationMode: { Type: 'password', Passwords: [second, first] },
      }),
    );
    expect(modified.Status).toBe('modifying');
    expect(modified.Authentication?.PasswordCount).toBe(2);
    await expect(
      elastiCache.send(new ModifyUserCommand({ UserId: 'ec-app', AccessString: 'on ~* +@all' })),
    ).rejects.toBeInstanceOf(InvalidUserStateFault);
    expect(await redisCanLogin('ec-app-user', first, redis.port)).toBe(true);
    expect(await redisCanLogin('ec-app-user', second, redis.port)).toBe(true);

    await sleep(1100);
    const described = await elastiCache.send(new DescribeUsersCommand({ UserId: 'ec-app' }));
    expect(described.Users?.[0]?.Status).toBe('active');
    expect(described.Users?.[0]?.UserGroupIds).toEqual(['ug-attached']);
    await elastiCache.send(
      new ModifyUserCommand({
        UserId: 'ec-app',
        AuthenticationMode: { Type: 'password', Passwords: [second] },
      }),
    );
    expect(await redisCanLogin('ec-app-user', first, redis.port)).toBe(false);
    expect(await redisCanLogin('ec-app-user', second, redis.port)).toBe(true);
    // The access string reaches Redis as ACL rules.
    expect(JSON.stringify(await aclUser('ec-app-user'))).toContain('~app:*');
  });

  it('removes a user from the attached Redis when it leaves the group or is deleted', async () => {
    const secret = password();
    await elastiCache.send(
      new CreateUserCommand({
        UserId: 'ec-leaver',
        UserName: 'ec-leaver',
        Engine: 'redis',
        AccessString: 'on ~* +@all',
        Passwords: [secret],
      }),
    );
    await sleep(1100); // the group is modifying after the previous test's change
    await elastiCache.send(
      new ModifyUserGroupCommand({ UserGroupId: 'ug-attached', UserIdsToAdd: ['ec-leaver'] }),
    );
    expect(await redisCanLogin('ec-leaver', secret, redis.port)).toBe(true);
    const group = await elastiCache.send(new DescribeUserGroupsCommand({ UserGroupId: 'ug-attached' }));
    expect(group.UserGroups?.[0]?.Status).toBe('modifying');
    expect(group.UserGroups?.[0]?.UserIds).toContain('ec-leaver');

    const deleted = await elastiCache.send(new DeleteUserCommand({ UserId: 'ec-leaver' }));
    expect(deleted.Status).toBe('deleting');
    expect(await aclUser('ec-leaver')).toBeNull();
    await expect(elastiCache.send(new DescribeUsersCommand({ UserId: 'ec-leaver' }))).rejects.toBeInstanceOf(
      UserNotFoundFault,
    );
  });
});

describe('local MemoryDB users', () => {
  it('has the open-access ACL, and answers ACLNotFoundFault and UserNotFoundFault', async () => {
    const acls = await memoryDb.send(new DescribeACLsCommand({}));
    expect(acls.ACLs?.map((a) => a.Name)).toContain('open-access');
    await expect(memoryDb.send(new DescribeACLsCommand({ ACLName: 'none' }))).rejects.toBeInstanceOf(
      ACLNotFoundFault,
    );
    await expect(memoryDb.send(new DescribeMemoryDbUsers({ UserName: 'none' }))).rejects.toBeInstanceOf(
      MemoryDbUserNotFound,
    );
  });

  it('refuses an access string that sets passwords', async () => {
    await expect(
      memoryDb.send(
        new CreateMemoryDbUser({
          UserName: 'sneaky',
          AccessString: `on >${password()} ~* +@all`,
          AuthenticationMode: { Type: 'password', Passwords: [password()] },
        }),
      ),
    ).rejects.toBeInstanceOf(MemoryDbInvalidParameter);
  });

  it('applies users of an attached ACL to Redis, is modifying after UpdateUser, and refuses a change meanwhile', async () => {
    const first = password();
    const second = password();
    await memoryDb.send(
      new CreateMemoryDbUser({
        UserName: 'mdb-app',
        AccessString: 'on ~* +@all',
        AuthenticationMode: { Type: 'password', Passwords: [first] },
      }),
    );
    const acl = await memoryDb.send(
      new CreateACLCommand({ ACLName: 'acl-attached', UserNames: ['mdb-app'] }),
    );
    expect(acl.ACL?.UserNames).toEqual(['mdb-app']);
    expect(await redisCanLogin('mdb-app', first, redis.port)).toBe(true);

    const updated = await memoryDb.send(
      new UpdateUserCommand({
        UserName: 'mdb-app',
        AuthenticationMode: { Type: 'password', Passwords: [second, first] },
      }),
    );
    expect(updated.User?.Status).toBe('modifying');
    expect(updated.User?.Authentication).toEqual({ Type: 'password', PasswordCount: 2 });
    expect(updated.User?.ACLNames).toEqual(['acl-attached']);
    await expect(
      memoryDb.send(new UpdateUserCommand({ UserName: 'mdb-app', AccessString: 'on ~x:* +@all' })),
    ).rejects.toBeInstanceOf(MemoryDbInvalidUserState);
    expect(await redisCanLogin('mdb-app', first, redis.port)).toBe(true);
    expect(await redisCanLogin('mdb-app', second, redis.port)).toBe(true);

    await sleep(1100);
    expect((await memoryDb.send(new DescribeMemoryDbUsers({ UserName: 'mdb-app' }))).Users?.[0]?.Status).toBe(
      'active',
    );
    await memoryDb.send(new DeleteMemoryDbUser({ UserName: 'mdb-app' }));
    expect(await aclUser('mdb-app')).toBeNull();
  });

  it('leaves Redis alone for users of an ACL no server is attached to', async () => {
    const secret = password();
    await memoryDb.send(
      new CreateMemoryDbUser({
        UserName: 'mdb-detached',
        AccessString: 'on ~* +@all',
        AuthenticationMode: { Type: 'password', Passwords: [secret] },
      }),
    );
    await memoryDb.send(new CreateACLCommand({ ACLName: 'not-attached', UserNames: ['mdb-detached'] }));
    expect(await aclUser('mdb-detached')).toBeNull();
  });
});
