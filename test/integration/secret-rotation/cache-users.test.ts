import { randomUUID } from 'node:crypto';
import {
  CreateUserCommand as CreateElastiCacheUser,
  CreateUserGroupCommand,
  DescribeUsersCommand as DescribeElastiCacheUsers,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import {
  CreateACLCommand,
  CreateUserCommand as CreateMemoryDbUser,
  DescribeUsersCommand as DescribeMemoryDbUsers,
  MemoryDBClient,
} from '@aws-sdk/client-memorydb';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportClients } from '../../../cli/report/clients.js';
import { diagnose } from '../../../cli/report/diagnose.js';
import { resolveTarget } from '../../../cli/target.js';
import { createHandler } from '../../../functions/secret-rotation/handler.js';
import { createCacheUserRotator } from '../../../functions/secret-rotation/rotators/cache-user.js';
import { defaultCacheUserApi } from '../../../functions/secret-rotation/rotators/cache-user-api.js';
import {
  ACCOUNT,
  field,
  REGION,
  type RotationHarness,
  startRotationHarness,
} from '../helpers/database-rotation.js';
import { type PrivateServer, redisAs, redisCanLogin, startPrivateRedis } from '../helpers/databases.js';

/**
 * ElastiCache and MemoryDB users rotated through RotateSecret on the local endpoint, whose user
 * groups / ACLs are attached (`--redis-for`) to a private Redis server this file starts: every
 * ModifyUser / UpdateUser the rotation makes is applied there with ACL SETUSER, so each check
 * below logs in to a real server. Passwords are compared, never printed (the harness fails a
 * rotation whose output shows one).
 */

/** Groups / ACLs attached to the private Redis; each test takes a fresh one. */
const GROUPS = Array.from({ length: 24 }, (_, i) => `rekey-it-g${i}`);
let nextGroup = 0;
const takeGroup = (): string => {
  const group = GROUPS[nextGroup++];
  if (group === undefined) throw new Error('the test file needs more attached groups');
  return group;
};

let redis: PrivateServer;
let harness: RotationHarness;
let elastiCache: ElastiCacheClient;
let memoryDb: MemoryDBClient;

beforeAll(async () => {
  redis = await startPrivateRedis();
  harness = await startRotationHarness({
    redisFor: Object.fromEntries(GROUPS.map((g) => [g, `redis://127.0.0.1:${redis.port}`])),
    cacheModifyingMs: 200,
    // The rotation function runs as its template.yaml role, with IAM enforced: ElastiCache users
    // are granted by ARN pattern, MemoryDB users by the rekey:cache-user tag.
    templateParameters: {
      CacheUserArns: `arn:aws:elasticache:${REGION}:${ACCOUNT}:user:ec-user-*,arn:aws:memorydb:${REGION}:${ACCOUNT}:user/missing-*`,
      CacheUserTagValue: 'rotate',
    },
  });
  elastiCache = new ElastiCacheClient(harness.endpoint.clientConfig);
  memoryDb = new MemoryDBClient(harness.endpoint.clientConfig);
});

afterAll(async () => {
  elastiCache?.destroy();
  memoryDb?.destroy();
  await harness?.close();
  await redis?.stop();
});

const suffix = () => randomUUID().slice(0, 8);
const initialPassword = () => `Initial-${randomUUID()}`;

/** One service's set-up: a user in a group attached to the private Redis, and its secret. */
interface ServiceKit {
  readonly name: 'elasticache' | 'memorydb';
  /** Creates a user (in a fresh attached group unless `attach` is false); returns its ARN and name. */
  createUser(options: {
    password?: string;
    accessString?: string;
    noPassword?: boolean;
    /** A user the deployed role is not granted (outside CacheUserArns, without the tag). */
    ungranted?: boolean;
  }): Promise<{ arn: string; username: string }>;
  passwordCount(arn: string): Promise<number | undefined>;
}

const elastiCacheKit: ServiceKit = {
  name: 'elasticache',
  async createUser({ password, accessString = 'on ~app:* +@all', noPassword = false, ungranted = false }) {
    const id = `${ungranted ? 'other' : 'ec-user'}-${suffix()}`;
    const username = `app-${suffix()}`;
    const created = await elastiCache.send(
      new CreateElastiCacheUser({
        UserId: id,
        UserName: username,
        Engine: 'redis',
        AccessString: accessString,
        ...(noPassword ? { NoPasswordRequired: true } : { Passwords: [password ?? initialPassword()] }),
      }),
    );
    await elastiCache.send(
      new CreateUserGroupCommand({ UserGroupId: takeGroup(), Engine: 'redis', UserIds: ['default', id] }),
    );
    return { arn: created.ARN ?? '', username };
  },
  async passwordCount(arn) {
    const id = arn.split(':').pop();
    const users = await elastiCache.send(new DescribeElastiCacheUsers({ UserId: id }));
    return users.Users?.[0]?.Authentication?.PasswordCount;
  },
};

const memoryDbKit: ServiceKit = {
  name: 'memorydb',
  async createUser({ password, accessString = 'on ~app:* +@all', noPassword = false, ungranted = false }) {
    const username = `mdb-${suffix()}`;
    const created = await memoryDb.send(
      new CreateMemoryDbUser({
        UserName: username,
        Tags: [{ Key: 'rekey:cache-user', Value: ungranted ? 'no' : 'rotate' }],
        AccessString: accessString,
        AuthenticationMode: noPassword
          ? { Type: 'iam' }
          : { Type: 'password', Passwords: [password ?? initialPassword()] },
      }),
    );
    await memoryDb.send(new CreateACLCommand({ ACLName: takeGroup(), UserNames: [username] }));
    return { arn: created.User?.ARN ?? '', username };
  },
  async passwordCount(arn) {
    const name = arn.split('/').pop();
    const users = await memoryDb.send(new DescribeMemoryDbUsers({ UserName: name }));
    return users.Users?.[0]?.Authentication?.PasswordCount;
  },
};

/** The secrets `rekey doctor` reports for a cache user with two passwords outside a rotation. */
const twoPasswordFindings = async (): Promise<string[]> => {
  const clients = createReportClients(
    resolveTarget(
      { endpointUrl: harness.endpoint.url, region: REGION },
      { AWS_ACCESS_KEY_ID: ACCOUNT, AWS_SECRET_ACCESS_KEY: 'local' },
    ),
  );
  const report = await diagnose(clients, { regions: [REGION], gracePeriodDays: 7, thresholds: [30] });
  expect(report.errors).toEqual([]);
  return report.problems.filter((p) => p.kind === 'cache-user-two-passwords').map((p) => p.resourceArn);
};

const login = (value: Record<string, unknown>) =>
  redisCanLogin(field(value, 'username'), field(value, 'password'), redis.port);

/** A secret for `user` in AWS's template format plus the cluster endpoint (the private Redis, plaintext). */
const secretOf = (user: { arn: string; username: string }, password?: string) => ({
  user_arn: user.arn,
  username: user.username,
  ...(password === undefined ? {} : { password }),
  host: '127.0.0.1',
  port: redis.port,
  ssl: false,
});

/** A user with a known password and its secret in AWS's template format plus the cluster endpoint. */
const userWithSecret = async (kit: ServiceKit, extra: Record<string, unknown> = {}) => {
  const password = initialPassword();
  const user = await kit.createUser({ password });
  const value = { ...secretOf(user, password), ...extra };
  const arn = await harness.createSecret(`${kit.name}-user`, value);
  return { arn, user, value };
};

describe.each([elastiCacheKit, memoryDbKit])('$name users', (kit) => {
  it('rotates through RotateSecret: the new password logs in to the real Redis, the old one stops, one password is left', async () => {
    const { arn, user, value: before } = await userWithSecret(kit);
    expect(await login(before)).toBe(true);

    const result = await harness.rotate(arn);

    expect(result.failure).toBeUndefined();
    const current = await harness.valueAt(arn, 'AWSCURRENT');
    expect(field(current, 'password')).not.toBe(before.password);
    expect(field(current, 'password')).toMatch(/^[\x21-\x7E]{16,128}$/);
    expect(field(current, 'password')).not.toMatch(/[,"/@]/);
    expect(current.user_arn).toBe(user.arn);
    expect(await login(current)).toBe(true);
    expect(await login(before)).toBe(false);
    expect(await kit.passwordCount(user.arn)).toBe(1);
    expect(field(await harness.valueAt(arn, 'AWSPREVIOUS'), 'password')).toBe(before.password);
  });

  it('keeps the old password working, for open and new connections, until finishSecret', async () => {
    const { arn, user, value: before } = await userWithSecret(kit);
    const open = createClient({
      socket: { host: '127.0.0.1', port: redis.port, reconnectStrategy: false },
      username: user.username,
      password: before.password,
      disableClientInfo: true,
    });
    open.on('error', () => undefined);
    await open.connect();
    const seen: Record<string, unknown> = {};
    const watching = harness.registerFunction(async (handler, event) => {
      if (event.Step === 'finishSecret') {
        const pending = await harness.valueAt(arn, 'AWSPENDING');
        seen.oldLogsIn = await login(before);
        seen.newLogsIn = await login(pending);
        seen.openConnection = await open.sendCommand(['SET', 'app:k', 'v']);
        seen.passwords = await kit.passwordCount(user.arn);
      }
      await handler(event);
    });
    try {
      const result = await harness.rotate(arn, { functionArn: watching });

      expect(result.failure).toBeUndefined();
      expect(seen).toEqual({ oldLogsIn: true, newLogsIn: true, openConnection: 'OK', passwords: 2 });
      expect(await login(before)).toBe(false);
      // Redis does not drop a session when its password is removed: the open one still works.
      expect(await open.sendCommand(['GET', 'app:k'])).toBe('v');
    } finally {
      await open.close();
    }
  });

  it('completes when every step runs twice', async () => {
    const { arn, user, value: before } = await userWithSecret(kit);
    const twice = harness.registerFunction(async (handler, event) => {
      await handler(event);
      await handler(event);
    });

    const result = await harness.rotate(arn, { functionArn: twice });

    expect(result.failure).toBeUndefined();
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
    expect(await login(before)).toBe(false);
    expect(await kit.passwordCount(user.arn)).toBe(1);
  });

  it('is completed by the next RotateSecret after being interrupted after setSecret, with AWSCURRENT working meanwhile', async () => {
    const { arn } = await userWithSecret(kit);
    const interrupted = harness.registerFunction(async (handler, event) => {
      if (event.Step === 'testSecret' || event.Step === 'finishSecret')
        throw new Error('interrupted by the test');
      await handler(event);
    });

    const first = await harness.rotate(arn, { functionArn: interrupted });
    expect(first.failure?.step).toBe('testSecret');
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);

    const second = await harness.rotate(arn, { token: first.token });

    expect(second.failure).toBeUndefined();
    expect((await harness.stages(arn))[first.token]).toContain('AWSCURRENT');
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
  });

  it('createSecret fails on a user ARN naming no user, saying so; AWSCURRENT still logs in', async () => {
    const { value } = await userWithSecret(kit);
    const wrong =
      kit.name === 'elasticache'
        ? `arn:aws:elasticache:${REGION}:${ACCOUNT}:user:ec-user-missing`
        : `arn:aws:memorydb:${REGION}:${ACCOUNT}:user/missing-user`;
    const arn = await harness.createSecret(`${kit.name}-wrong-arn`, { ...value, user_arn: wrong });

    const result = await harness.rotate(arn);

    expect(result.failure?.step).toBe('createSecret');
    expect(result.failure?.errorType).toBe('RotationConfigurationError');
    expect(result.failure?.message).toContain(
      kit.name === 'elasticache' ? 'ec-user-missing' : 'missing-user',
    );
    expect(result.failure?.message).toContain('"user_arn"');
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
  });

  it('is refused, naming the action, for a user the deployed role is not granted', async () => {
    const password = initialPassword();
    const user = await kit.createUser({ password, ungranted: true });
    const arn = await harness.createSecret(`${kit.name}-ungranted`, secretOf(user, password));

    const result = await harness.rotate(arn);

    expect(result.failure?.step).toBe('createSecret');
    expect(result.failure?.message).toContain(`not authorized to perform: ${kit.name}:DescribeUsers`);
    expect(result.failure?.message).toContain(user.arn);
    expect(await redisCanLogin(user.username, password, redis.port)).toBe(true);
  });

  it('createSecret refuses a user without password authentication', async () => {
    const user = await kit.createUser({ noPassword: true });
    const arn = await harness.createSecret(`${kit.name}-nopass`, secretOf(user));

    const result = await harness.rotate(arn);

    expect(result.failure?.step).toBe('createSecret');
    expect(result.failure?.errorType).toBe('RotationConfigurationError');
    expect(result.failure?.message).toMatch(/authenticates with '(no-password|iam)', not passwords/);
  });

  it('setSecret fails on a pending password the service refuses; AWSCURRENT still logs in and nothing changed', async () => {
    const { arn, user, value: before } = await userWithSecret(kit);
    // Another tool made the pending version, with a password the service does not accept.
    const otherTool = harness.registerFunction(async (handler, event) => {
      const { SecretId, ClientRequestToken, Step } = event as typeof event & {
        SecretId: string;
        ClientRequestToken: string;
      };
      if (Step !== 'createSecret') return handler(event);
      await harness.sm.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken,
          SecretString: JSON.stringify({ ...before, password: `has@an-at-sign-${randomUUID()}` }),
          VersionStages: ['AWSPENDING'],
        }),
      );
    });

    const result = await harness.rotate(arn, { functionArn: otherTool });

    expect(result.failure?.step).toBe('setSecret');
    expect(result.failure?.message).toMatch(/not allowed/);
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
    expect(await kit.passwordCount(user.arn)).toBe(1);
  });

  it('testSecret fails clearly when the cluster refuses TLS the secret asks for; AWSCURRENT still logs in', async () => {
    const { arn } = await userWithSecret(kit, { ssl: true });

    const result = await harness.rotate(arn);

    expect(result.failure?.step).toBe('testSecret');
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain(`127.0.0.1:${redis.port}`);
    expect(result.failure?.message).toMatch(/TLS/);
    expect(result.failure?.message).toContain('"ssl": false');
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
  });

  it('finishSecret still finishes when removing the old password fails; the next rotation removes it', async () => {
    const { arn, user, value: before } = await userWithSecret(kit);
    // The rotation function as deployed, except that the call leaving one password is refused
    // (a throttled or denied ModifyUser/UpdateUser).
    const name = `cache-removal-fails-${suffix()}`;
    const handler = createHandler({
      secretsManager: new SecretsManagerClient(harness.endpoint.clientConfig),
      selectRotator: async (input) =>
        createCacheUserRotator({
          passwordDefaults: input.passwordDefaults,
          api: async (arnOf, sm) => {
            const real = await defaultCacheUserApi(arnOf, sm);
            return {
              ...real,
              async setPasswords(passwords) {
                if (passwords.length === 1) {
                  throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
                }
                await real.setPasswords(passwords);
              },
            };
          },
        }),
    });
    harness.endpoint.lambdas.register(name, async (payload) => {
      await handler(payload);
      return null;
    });

    const first = await harness.rotate(arn, {
      functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    });

    expect(first.failure).toBeUndefined();
    expect((await harness.stages(arn))[first.token]).toContain('AWSCURRENT');
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
    expect(await login(before)).toBe(true);
    expect(await kit.passwordCount(user.arn)).toBe(2);
    expect(await twoPasswordFindings()).toContain(arn);

    const second = await harness.rotate(arn);

    expect(second.failure).toBeUndefined();
    expect(await kit.passwordCount(user.arn)).toBe(1);
    expect(await twoPasswordFindings()).not.toContain(arn);
    expect(await login(before)).toBe(false);
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
  });

  it('tests the new password with a command the access string allows', async () => {
    // No PING for this user: testSecret must pick a command it may run (a read in its key space).
    const password = initialPassword();
    const user = await kit.createUser({ password, accessString: 'on ~cache:* -@all +get' });
    const arn = await harness.createSecret(`${kit.name}-get-only`, secretOf(user, password));
    expect(await redisAs(user.username, password, ['PING'], redis.port)).toMatch(/NOPERM/);

    const result = await harness.rotate(arn);

    expect(result.failure).toBeUndefined();
    const current = await harness.valueAt(arn, 'AWSCURRENT');
    expect(
      await redisAs(user.username, field(current, 'password'), ['GET', 'cache:x'], redis.port),
    ).toBeNull();
  });
});
