import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisAdapter } from '../../../functions/secret-rotation/rotators/redis.js';
import {
  databaseScenarios,
  field,
  type RotationHarness,
  SUPERUSER_TAGS,
  startRotationHarness,
  superuserFor,
} from '../helpers/database-rotation.js';
import { REDIS, randomSuffix, redisAdmin, redisAs, redisCanLogin } from '../helpers/databases.js';

/**
 * Redis ACL user rotation through RotateSecret on the local endpoint, against the real Redis
 * server on 127.0.0.1:6379. Each test makes its own ACL users and deletes them; the superuser
 * secret is a dedicated ACL user with every right.
 */

let admin: Awaited<ReturnType<typeof redisAdmin>>;
let harness: RotationHarness;
let masterArn: string;
const masterUser = `rekey_admin_${randomSuffix()}`;
const masterPassword = `admin-${randomSuffix()}${randomSuffix()}`;
const usersToDelete: string[] = [];

/** Rules of an application user: its own keys, reading and writing, and (optionally) changing its own password. */
const APP_RULES = ['~app:*', '&*', '+@read', '+@write', '+ping'];
const SELF_SERVICE = ['+acl|setuser', '+acl|getuser'];

const createUser = async (
  name: string,
  password: string,
  rules: string[] = [...APP_RULES, ...SELF_SERVICE],
) => {
  usersToDelete.push(name, `${name}_clone`);
  await admin.sendCommand(['ACL', 'SETUSER', name, 'on', `>${password}`, ...rules]);
};

const userSecret = (username: string, password: string, extra: Record<string, unknown> = {}) => ({
  engine: 'redis',
  host: REDIS.host,
  port: REDIS.port,
  username,
  password,
  ssl: false,
  ...extra,
});

const login = (value: Record<string, unknown>, port: number = REDIS.port) =>
  redisCanLogin(field(value, 'username'), field(value, 'password'), port);

beforeAll(async () => {
  admin = await redisAdmin();
  await admin.sendCommand(['ACL', 'SETUSER', masterUser, 'on', `>${masterPassword}`, '~*', '&*', '+@all']);
  harness = await startRotationHarness();
  masterArn = await harness.createSecret(
    'redis-master',
    userSecret(masterUser, masterPassword),
    SUPERUSER_TAGS,
  );
});

afterEach(async () => {
  const users = usersToDelete.splice(0);
  if (users.length > 0) await admin.sendCommand(['ACL', 'DELUSER', ...users]);
});

afterAll(async () => {
  await harness?.close();
  if (admin) {
    await admin.sendCommand(['ACL', 'DELUSER', masterUser]);
    await admin.close();
  }
});

describe('single user: undoing a change whose new password did not log in', () => {
  it('removes the added password on the session that added it; the old one never stopped working', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-11');
    const target = {
      engine: 'redis',
      host: REDIS.host,
      port: REDIS.port,
      username: user,
      password: 'initial-password-11',
      tls: { mode: 'disable' as const },
    };
    const session = await redisAdapter.open(target);
    try {
      await redisAdapter.changeOwnPassword(session, {
        username: user,
        oldPassword: 'initial-password-11',
        newPassword: 'added-password-11',
      });
      expect(await redisCanLogin(user, 'added-password-11')).toBe(true);
      await redisAdapter.restorePassword(session, {
        username: user,
        restored: 'initial-password-11',
        failed: 'added-password-11',
        asSuperuser: false,
      });
    } finally {
      await redisAdapter.close(session);
    }
    expect(await redisCanLogin(user, 'added-password-11')).toBe(false);
    expect(await redisCanLogin(user, 'initial-password-11')).toBe(true);
  });
});

describe('single user', () => {
  it('rotates through RotateSecret: the new AWSCURRENT logs in, the old password is removed when the rotation finishes', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-1');
    const arn = await harness.createSecret('redis-single', userSecret(user, 'initial-password-1'));

    const result = await harness.rotate(arn);

    expect(result.failure).toBeUndefined();
    const current = await harness.valueAt(arn, 'AWSCURRENT');
    expect(field(current, 'username')).toBe(user);
    expect(await login(current)).toBe(true);
    expect(await redisCanLogin(user, 'initial-password-1')).toBe(false);
    // The user keeps its rules: its own keys, nothing else.
    expect(await redisAs(user, field(current, 'password'), ['SET', 'app:k', 'v'])).toBe('OK');
    expect(String(await redisAs(user, field(current, 'password'), ['SET', 'other:k', 'v']))).toContain(
      'NOPERM',
    );
  });

  it('keeps the old password working between setSecret and finishSecret, so clients are not locked out mid-rotation', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-2');
    const arn = await harness.createSecret('redis-single-overlap', userSecret(user, 'initial-password-2'));
    const stopBeforeFinish = harness.registerFunction(async (handler, event) => {
      if (event.Step === 'finishSecret') throw new Error('interrupted by the test');
      await handler(event);
    });

    const first = await harness.rotate(arn, { functionArn: stopBeforeFinish });

    expect(first.failure?.step).toBe('finishSecret');
    expect(await redisCanLogin(user, 'initial-password-2')).toBe(true);
    expect(await login(await harness.valueAt(arn, 'AWSPENDING'))).toBe(true);
    const second = await harness.rotate(arn, { token: first.token });
    expect(second.failure).toBeUndefined();
    expect(await redisCanLogin(user, 'initial-password-2')).toBe(false);
  });

  it('rotates ten times in a row; each time only the newest password logs in', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-3');
    const arn = await harness.createSecret('redis-single-ten', userSecret(user, 'initial-password-3'));
    let previous = 'initial-password-3';
    for (let i = 0; i < 10; i += 1) {
      const result = await harness.rotate(arn);
      expect(result.failure).toBeUndefined();
      const current = await harness.valueAt(arn, 'AWSCURRENT');
      expect(await login(current)).toBe(true);
      expect(await redisCanLogin(user, previous)).toBe(false);
      previous = field(current, 'password');
    }
  });

  it('lets the superuser change the password of a user without ACL rights (tag rekey:strategy=single-user with masterarn)', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-4', APP_RULES);
    const arn = await harness.createSecret(
      'redis-single-master',
      userSecret(user, 'initial-password-4', { masterarn: masterArn }),
      { 'rekey:strategy': 'single-user' },
    );

    const result = await harness.rotate(arn);

    expect(result.failure).toBeUndefined();
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
    expect(await redisCanLogin(user, 'initial-password-4')).toBe(false);
  });
});

describe('alternating users behave as one user (keys one writes, the other uses)', () => {
  it('a key the clone writes is read and changed by the user, and the other way round', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-10', APP_RULES);
    const arn = await harness.createSecret('redis-one-user', {
      ...userSecret(user, 'initial-password-10'),
      masterarn: masterArn,
    });

    expect((await harness.rotate(arn)).failure).toBeUndefined();
    const clonePassword = field(await harness.valueAt(arn, 'AWSCURRENT'), 'password');
    const clone = `${user}_clone`;
    const key = `app:${randomSuffix()}`;
    try {
      expect(await redisAs(clone, clonePassword, ['SET', key, 'from-clone'])).toBe('OK');
      expect(await redisAs(user, 'initial-password-10', ['GET', key])).toBe('from-clone');
      expect(await redisAs(user, 'initial-password-10', ['SET', key, 'from-user'])).toBe('OK');
      expect(await redisAs(clone, clonePassword, ['GET', key])).toBe('from-user');
    } finally {
      await admin.sendCommand(['DEL', key]);
    }
  });
});

describe('alternating users', () => {
  it('creates user_clone with the rules of the user; both log in; the user current two rotations ago gets the newest password', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-5', [...APP_RULES, '(~shared:* +get)']);
    const arn = await harness.createSecret('redis-alt', {
      ...userSecret(user, 'initial-password-5'),
      masterarn: masterArn,
    });

    const first = await harness.rotate(arn);

    expect(first.failure).toBeUndefined();
    const afterFirst = await harness.valueAt(arn, 'AWSCURRENT');
    const clone = `${user}_clone`;
    const clonePassword = field(afterFirst, 'password');
    expect(field(afterFirst, 'username')).toBe(clone);
    expect(await redisAs(clone, clonePassword, ['SET', 'app:k', 'v'])).toBe('OK');
    expect(String(await redisAs(clone, clonePassword, ['SET', 'other:k', 'v']))).toContain('NOPERM');
    expect(await redisAs(clone, clonePassword, ['GET', 'shared:none'])).toBeNull();
    expect(String(await redisAs(clone, clonePassword, ['SET', 'shared:k', 'v']))).toContain('NOPERM');
    expect(await redisCanLogin(user, 'initial-password-5')).toBe(true);

    const second = await harness.rotate(arn);

    expect(second.failure).toBeUndefined();
    const afterSecond = await harness.valueAt(arn, 'AWSCURRENT');
    expect(field(afterSecond, 'username')).toBe(user);
    expect(await login(afterSecond)).toBe(true);
    expect(await redisCanLogin(user, 'initial-password-5')).toBe(false);
    expect(await redisCanLogin(clone, clonePassword)).toBe(true);
  });

  it('rotates ten times in a row, alternating the users, with AWSCURRENT and AWSPREVIOUS both logging in', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-6');
    const arn = await harness.createSecret('redis-alt-ten', {
      ...userSecret(user, 'initial-password-6'),
      masterarn: masterArn,
    });
    for (let i = 0; i < 10; i += 1) {
      const result = await harness.rotate(arn);
      expect(result.failure).toBeUndefined();
      const current = await harness.valueAt(arn, 'AWSCURRENT');
      expect(field(current, 'username')).toBe(i % 2 === 0 ? `${user}_clone` : user);
      expect(await login(current)).toBe(true);
      expect(await login(await harness.valueAt(arn, 'AWSPREVIOUS'))).toBe(true);
    }
  });

  it('refuses to act as superuser when the current credential does not log in, and creates no user', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-7');
    const arn = await harness.createSecret('redis-alt-stolen', {
      ...userSecret(user, 'not-the-password'),
      masterarn: masterArn,
    });

    const result = await harness.rotate(arn);

    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain('current credential');
    expect(result.failure?.message).toContain('WRONGPASS');
    expect(result.failure?.message).not.toContain('not-the-password');
    expect(await admin.sendCommand(['ACL', 'GETUSER', `${user}_clone`])).toBeNull();
  });
});

describe.each([
  ['single-user', false],
  ['alternating-users', true],
] as const)('%s: retries, interruptions and failures', (strategy, alternating) => {
  const makeSecret = async (label: string, extra: Record<string, unknown> = {}) => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-8');
    const arn = await harness.createSecret(label, {
      ...userSecret(user, 'initial-password-8'),
      ...(alternating ? { masterarn: await superuserFor(harness, masterArn, extra) } : {}),
      ...extra,
    });
    return { user, arn };
  };

  databaseScenarios({
    prefix: 'redis',
    strategy,
    alternating,
    harness: () => harness,
    makeSecret,
    login,
    serverPort: () => REDIS.port,
    // Redis keeps the old password until finishSecret, so AWSCURRENT works in both strategies.
    currentWorksWhenInterruptedAfter: () => true,
    allowLogin: async (user, allowed) => {
      await admin.sendCommand(['ACL', 'SETUSER', user, allowed ? 'on' : 'off']);
    },
    finishUsesServer: !alternating,
    allowSuperuser: async (allowed) => {
      await admin.sendCommand(['ACL', 'SETUSER', masterUser, allowed ? '+@all' : '-@all']);
    },
  });

  it('fails with the server error when the user is disabled mid-rotation, and AWSCURRENT logs in once it is enabled', async () => {
    const { user, arn } = await makeSecret(`redis-off-${strategy}`);
    const refusing = harness.registerFunction(async (handler, event) => {
      await handler(event);
      if (event.Step === 'createSecret') await admin.sendCommand(['ACL', 'SETUSER', user, 'off']);
    });

    const result = await harness.rotate(arn, { functionArn: refusing });

    expect(result.failure?.step).toBe('setSecret');
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain('the current credential');
    expect(result.failure?.message).toContain('WRONGPASS');
    expect(result.failure?.message).not.toContain('initial-password-8');
    await admin.sendCommand(['ACL', 'SETUSER', user, 'on']);
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
  });

  it('rotates hostile user names and passwords (quotes, backslashes, semicolons, spaces, Unicode)', async () => {
    const user = `a'b"c\\d;ü€_${randomSuffix()}`;
    const initial = `p'q"r\\s; ACL DELUSER default ü€ >x`;
    await createUser(user, initial);
    let generated = 0;
    const hostile = harness.registerFunction(async (handler, event) => handler(event), {
      generatePassword: async () => {
        generated += 1;
        return `x'y"z\\ ; FLUSHALL ü€ <${generated}${randomSuffix()}`;
      },
    });
    const arn = await harness.createSecret(`redis-hostile-${strategy}`, {
      ...userSecret(user, initial),
      ...(alternating ? { masterarn: masterArn } : {}),
    });

    for (let i = 0; i < 2; i += 1) {
      const result = await harness.rotate(arn, { functionArn: hostile });
      expect(result.failure).toBeUndefined();
      expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
    }
    expect(await login(await harness.valueAt(arn, 'AWSPREVIOUS'))).toBe(alternating);
    expect(await admin.sendCommand(['ACL', 'GETUSER', 'default'])).not.toBeNull();
  });
});

describe('TLS', () => {
  it('never falls back to plaintext: a secret without "ssl" requires TLS, and a server without it fails the step saying so', async () => {
    const tlsPort = Number(
      await admin.sendCommand(['CONFIG', 'GET', 'tls-port']).then((r) => (r as unknown as string[])[1] ?? 0),
    );
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-9');
    const { ssl: _plaintext, ...withoutSsl } = userSecret(user, 'initial-password-9');
    const arn = await harness.createSecret('redis-tls-off', withoutSsl);

    const result = await harness.rotate(arn);

    // The stock server on this port speaks plaintext only (tls-port is 0).
    expect(tlsPort).toBe(0);
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain('"ssl": false');
    expect(await redisCanLogin(user, 'initial-password-9')).toBe(true);
  });
});
