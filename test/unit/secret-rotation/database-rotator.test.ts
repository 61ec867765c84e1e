import { inspect } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretFormatError } from '../../../functions/secret-rotation/errors.js';
import { FUNCTION_DEFAULT_POLICY } from '../../../functions/secret-rotation/password.js';
import {
  DatabaseLoginError,
  DatabaseStatementError,
  describeDriverError,
  redact,
} from '../../../functions/secret-rotation/rotators/database-errors.js';
import {
  type ConnectTarget,
  createDatabaseRotator,
  type EngineAdapter,
} from '../../../functions/secret-rotation/rotators/database-rotator.js';
import type { PasswordPolicy, RotatorContext } from '../../../functions/secret-rotation/rotators/types.js';

/**
 * The rotation flow over a fake engine: a map of users to passwords standing in for the
 * server, so the order of logins and who may change what can be checked exactly. The real
 * engines are exercised in test/integration/secret-rotation.
 */

interface Session {
  readonly username: string;
}

let users: Map<string, string>;
let calls: string[];
let open: number;
let failStatementWith: Error | undefined;

const fakeAdapter: EngineAdapter<Session> = {
  family: 'postgres',
  async open(target: ConnectTarget) {
    calls.push(`open ${target.username}`);
    if (users.get(target.username) !== target.password) {
      throw Object.assign(new Error(`password authentication failed for user "${target.username}"`), {
        code: '28P01',
      });
    }
    open += 1;
    return { username: target.username };
  },
  async close() {
    open -= 1;
  },
  async ping() {},
  async sessionUser(session) {
    return session.username;
  },
  async restorePassword(session, change) {
    calls.push(`restorePassword ${session.username} ${change.username}`);
    users.set(change.username, change.restored);
  },
  async changeOwnPassword(session, change) {
    calls.push(
      `changeOwnPassword ${session.username} from ${change.oldPassword === users.get(session.username)}`,
    );
    if (failStatementWith) throw failStatementWith;
    users.set(session.username, change.newPassword);
  },
  async setPasswordAsAdmin(session, change) {
    calls.push(`setPasswordAsAdmin ${session.username} ${change.username}`);
    users.set(change.username, change.newPassword);
  },
  async describeAccount(session) {
    calls.push(`describeAccount ${session.username}`);
    return { host: '%' };
  },
  async ensureAlternateUser(session, change) {
    calls.push(
      `ensureAlternateUser ${session.username} ${change.template} ${change.target} ${change.account.host}`,
    );
    users.set(change.target, change.password);
  },
};

const secret = (username: string, password: string, extra: Record<string, unknown> = {}) => ({
  versionId: `v-${username}-${password.length}`,
  secretString: JSON.stringify({ engine: 'postgres', host: 'db', port: 5432, username, password, ...extra }),
});

const secretReads: string[] = [];
/** Fields the superuser secret has besides engine, host, port, username and password. */
let masterExtra: Record<string, unknown> = {};
const ctx = (tags: Record<string, string> = {}): RotatorContext => ({
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app',
  token: 'token-0000000000000000000000000000000',
  tags,
  secretsManager: {} as SecretsManagerClient,
  logger: new Logger({ logLevel: 'SILENT' }),
  getSecretValue: async (id) => {
    secretReads.push(id);
    return secret('admin', 'admin-password', masterExtra);
  },
  generatePassword: async (policy: PasswordPolicy) =>
    `generated-${policy.length}-${policy.excludeCharacters.length}`,
});

beforeEach(() => {
  users = new Map([
    ['app', 'current-password'],
    ['admin', 'admin-password'],
  ]);
  calls = [];
  open = 0;
  failStatementWith = undefined;
  secretReads.length = 0;
  masterExtra = {};
});

const single = createDatabaseRotator(fakeAdapter, {
  strategy: 'single-user',
  passwordDefaults: FUNCTION_DEFAULT_POLICY,
});
const alternating = createDatabaseRotator(fakeAdapter, {
  strategy: 'alternating-users',
  passwordDefaults: FUNCTION_DEFAULT_POLICY,
});

describe('createPending', () => {
  it('keeps the user for single-user and switches to the clone for alternating users', async () => {
    const current = secret('app', 'current-password', { masterarn: 'admin-arn', dbname: 'orders' });
    const one = JSON.parse(await single.createPending(current, ctx()));
    const two = JSON.parse(await alternating.createPending(current, ctx()));
    expect(one).toMatchObject({ username: 'app', dbname: 'orders', masterarn: 'admin-arn' });
    expect(two).toMatchObject({ username: 'app_clone', dbname: 'orders' });
    expect(one.password).not.toBe('current-password');
  });

  it('refuses alternating users without masterarn, naming the field', async () => {
    await expect(alternating.createPending(secret('app', 'p'), ctx())).rejects.toMatchObject({
      name: 'SecretFormatError',
      field: 'masterarn',
    });
  });
});

describe('single user setSecret', () => {
  it('does nothing when the pending password already logs in (step run twice)', async () => {
    users.set('app', 'pending-password');
    await single.setSecret(
      { current: secret('app', 'current-password'), pending: secret('app', 'pending-password') },
      ctx(),
    );
    expect(calls).toEqual(['open app']);
    expect(open).toBe(0);
  });

  it('falls back to AWSPREVIOUS when the current password does not log in', async () => {
    users.set('app', 'previous-password');
    await single.setSecret(
      {
        current: secret('app', 'current-password'),
        pending: secret('app', 'pending-password'),
        previous: secret('app', 'previous-password'),
      },
      ctx(),
    );
    expect(calls).toEqual([
      'open app',
      'open app',
      'open app',
      'changeOwnPassword app from true',
      'open app',
    ]);
    expect(users.get('app')).toBe('pending-password');
    expect(open).toBe(0);
  });

  it('lists every credential it tried when none logs in, without any password', async () => {
    users.set('app', 'someone-else-changed-it');
    const error = await single
      .setSecret(
        {
          current: secret('app', 'current-password'),
          pending: secret('app', 'pending-password'),
          previous: secret('app', 'previous-password'),
        },
        ctx(),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseLoginError);
    const message = (error as Error).message;
    for (const role of ['pending', 'current', 'previous'])
      expect(message).toContain(`the ${role} credential`);
    expect(message).toContain('db:5432');
    expect(message).toContain('28P01');
    expect(message).not.toMatch(/current-password|pending-password|previous-password/);
  });

  it('reports a failed statement without the password it carried, and closes the connection', async () => {
    // mysql2 also puts the whole statement, password literal included, in `sql`; the logger
    // prints every own property of an error and of its causes, so none may reach the error.
    failStatementWith = Object.assign(new Error("syntax error near 'pending-passw"), {
      code: 'ER_PARSE_ERROR',
      sql: "ALTER USER 'app'@'%' IDENTIFIED BY 'pending-password'",
    });
    const error = await single
      .setSecret(
        { current: secret('app', 'current-password'), pending: secret('app', 'pending-password') },
        ctx(),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseStatementError);
    expect((error as Error).message).toContain('ER_PARSE_ERROR');
    expect((error as Error).message).not.toContain('pending-passw');
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain('pending-passw');
    expect(open).toBe(0);
  });

  it('refuses a pending version that points at another server', async () => {
    await expect(
      single.setSecret(
        {
          current: secret('app', 'current-password'),
          pending: {
            versionId: 'p',
            secretString: JSON.stringify({ ...JSON.parse(secret('app', 'x').secretString), host: 'evil' }),
          },
        },
        ctx(),
      ),
    ).rejects.toBeInstanceOf(SecretFormatError);
    expect(calls).toEqual([]);
  });
});

describe('single user setSecret: all or nothing', () => {
  it('with masterarn, refuses a superuser secret for another host before connecting anywhere', async () => {
    const error = await single
      .setSecret(
        {
          current: secret('app', 'current-password', { masterarn: 'admin-arn', host: 'attacker' }),
          pending: secret('app', 'pending-password', { masterarn: 'admin-arn', host: 'attacker' }),
        },
        ctx(),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SuperuserEndpointError' });
    expect((error as Error).message).toMatch(/db:5432.*attacker:5432|attacker:5432.*db:5432/);
    expect(calls).toEqual([]);
  });

  it("with masterarn, finishSecret (Redis's removal of the old password) refuses a superuser for another host too", async () => {
    const retiring = createDatabaseRotator(
      {
        ...fakeAdapter,
        async retireOldPassword(session) {
          calls.push(`retireOldPassword ${session.username}`);
        },
      },
      { strategy: 'single-user', passwordDefaults: FUNCTION_DEFAULT_POLICY },
    );
    const error = await retiring
      .finishSecret?.(
        {
          current: secret('app', 'current-password', { masterarn: 'admin-arn', host: 'attacker' }),
          pending: secret('app', 'pending-password', { masterarn: 'admin-arn', host: 'attacker' }),
        },
        ctx(),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SuperuserEndpointError' });
    expect(calls).toEqual([]);
  });

  it('restores the replaced password on the same session when the new one does not log in', async () => {
    // The server accepts the change but then refuses the new password (as a connection limit,
    // an auth rule or a mangled character would).
    const refusing: EngineAdapter<Session> = {
      ...fakeAdapter,
      async open(target) {
        if (target.password === 'pending-password' && users.get('app') === 'pending-password') {
          calls.push(`open ${target.username} refused`);
          throw Object.assign(new Error('too many connections for role "app"'), { code: '53300' });
        }
        return fakeAdapter.open(target);
      },
    };
    const rotator = createDatabaseRotator(refusing, {
      strategy: 'single-user',
      passwordDefaults: FUNCTION_DEFAULT_POLICY,
    });
    const error = await rotator
      .setSecret(
        { current: secret('app', 'current-password'), pending: secret('app', 'pending-password') },
        ctx(),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseLoginError);
    expect((error as Error).message).toContain('53300');
    expect((error as Error).message).toContain('restored');
    expect(users.get('app')).toBe('current-password');
    expect(calls).toEqual([
      'open app',
      'open app',
      'changeOwnPassword app from true',
      'open app refused',
      'restorePassword app app',
    ]);
    expect(open).toBe(0);
  });
});

describe('alternating users setSecret', () => {
  it('checks the superuser endpoint, logs in as the current user, then has the superuser prepare the clone', async () => {
    await alternating.setSecret(
      {
        current: secret('app', 'current-password', { masterarn: 'admin-arn' }),
        pending: secret('app_clone', 'pending-password', { masterarn: 'admin-arn' }),
      },
      ctx(),
    );
    expect(calls).toEqual([
      'open app',
      'describeAccount app',
      'open app_clone',
      'open admin',
      'ensureAlternateUser admin app app_clone %',
    ]);
    expect(secretReads).toEqual(['admin-arn']);
    expect(users.get('app_clone')).toBe('pending-password');
    expect(open).toBe(0);
  });

  it('never lets the superuser act when the current credential fails (a stolen superuser secret is not enough)', async () => {
    await expect(
      alternating.setSecret(
        {
          current: secret('app', 'wrong-password', { masterarn: 'admin-arn' }),
          pending: secret('app_clone', 'pending-password', { masterarn: 'admin-arn' }),
        },
        ctx(),
      ),
    ).rejects.toBeInstanceOf(DatabaseLoginError);
    expect(calls).toEqual(['open app']);
    expect(users.has('app_clone')).toBe(false);
  });

  it.each([
    ['host', { host: 'attacker.example' }, 'db:5432', 'attacker.example:5432'],
    ['port', { port: 6543 }, 'db:5432', 'db:6543'],
    ['database', { dbname: 'other' }, 'db:5432/postgres', 'db:5432/other'],
  ])(
    'refuses before connecting anywhere when the secret names another %s than the superuser secret',
    async (_what, change, masterAt, userAt) => {
      masterExtra = { dbname: 'postgres' };
      const current = secret('app', 'current-password', { masterarn: 'admin-arn', ...change });
      const pending = secret('app_clone', 'pending-password', { masterarn: 'admin-arn', ...change });
      const error = await alternating.setSecret({ current, pending }, ctx()).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'SuperuserEndpointError' });
      expect((error as Error).message).toContain(masterAt);
      expect((error as Error).message).toContain(userAt);
      expect((error as Error).message).not.toMatch(/current-password|pending-password|admin-password/);
      expect(calls).toEqual([]);
    },
  );

  it('connects the superuser to the rotated secret database when its own secret names none (as AWS does)', async () => {
    await alternating.setSecret(
      {
        current: secret('app', 'current-password', { masterarn: 'admin-arn', dbname: 'orders' }),
        pending: secret('app_clone', 'pending-password', { masterarn: 'admin-arn', dbname: 'orders' }),
      },
      ctx(),
    );
    expect(users.get('app_clone')).toBe('pending-password');
  });

  it('refuses a pending user that is not the other one of the pair', async () => {
    await expect(
      alternating.setSecret(
        {
          current: secret('app', 'current-password', { masterarn: 'admin-arn' }),
          pending: secret('root', 'pending-password', { masterarn: 'admin-arn' }),
        },
        ctx(),
      ),
    ).rejects.toMatchObject({ name: 'SecretFormatError', field: 'username' });
    expect(calls).toEqual([]);
  });
});

describe('redaction', () => {
  it('removes whole passwords, and with partial withholds a message quoting part of one', () => {
    expect(redact('user x: bad pass hunter2hunter2', ['hunter2hunter2'])).toBe('user x: bad pass [redacted]');
    expect(redact("near 'hunter2hu' at line 1", ['hunter2hunter2'], true)).toMatch(/withheld/);
    expect(redact("near 'hunter2hu' at line 1", ['hunter2hunter2'])).toContain('near');
  });

  it("reads the code of Node's AggregateError and of Redis replies", () => {
    const aggregate = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:5432')], ''), {
      code: 'ECONNREFUSED',
    });
    expect(describeDriverError(aggregate, [])).toEqual({
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED ::1:5432',
    });
    expect(describeDriverError(new Error('WRONGPASS invalid username-password pair'), []).code).toBe(
      'WRONGPASS',
    );
  });
});

describe('MySQL error codes', () => {
  it("shows mysql2's error name only where MySQL and MariaDB share the number", () => {
    const denied = Object.assign(new Error("Access denied for user 'a'@'h'"), {
      code: 'ER_ACCESS_DENIED_ERROR',
      errno: 1045,
      sqlState: '28000',
    });
    const locked = Object.assign(new Error('Access denied, this account is locked'), {
      code: 'ER_BULK_PARSER_INCOMPLETE_ESCAPE_SEQUENCE',
      errno: 4151,
      sqlState: '28000',
    });
    expect(describeDriverError(denied, []).code).toBe('ER_ACCESS_DENIED_ERROR (1045, SQLSTATE 28000)');
    expect(describeDriverError(locked, []).code).toBe('4151 (SQLSTATE 28000)');
  });
});
