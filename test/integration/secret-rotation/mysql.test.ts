import mysql, { type RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mysqlAdapter } from '../../../functions/secret-rotation/rotators/mysql.js';
import {
  databaseScenarios,
  field,
  type RotationHarness,
  SUPERUSER_TAGS,
  startRotationHarness,
  superuserFor,
} from '../helpers/database-rotation.js';
import { MYSQL, mysqlAdmin, mysqlCanLogin, mysqlDropUsers, randomSuffix } from '../helpers/databases.js';

/**
 * MySQL/MariaDB rotation through RotateSecret on the local endpoint, against the real MariaDB
 * server on 127.0.0.1:3306. Each test makes its own accounts ('%' host) and database and
 * drops them; the superuser secret is a dedicated account with every privilege.
 */

let admin: mysql.Connection;
let harness: RotationHarness;
let masterArn: string;
const masterUser = `rekey_admin_${randomSuffix()}`;
const masterPassword = `admin-${randomSuffix()}${randomSuffix()}`;
const usersToDrop: string[] = [];
const databasesToDrop: string[] = [];

const createUser = async (name: string, password: string, require = 'NONE') => {
  usersToDrop.push(name, `${name}_clone`);
  await admin.query(`CREATE USER ?@? IDENTIFIED BY ? REQUIRE ${require}`, [name, '%', password]);
};

/** A database with one table that only `user` may read. */
const createDatabaseFor = async (user: string): Promise<string> => {
  const name = `db_${randomSuffix()}`;
  databasesToDrop.push(name);
  await admin.query(`CREATE DATABASE ${admin.escapeId(name)}`);
  await admin.query(`CREATE TABLE ${admin.escapeId(name)}.orders (id int)`);
  await admin.query(`INSERT INTO ${admin.escapeId(name)}.orders VALUES (42)`);
  await admin.query(`GRANT SELECT ON ${admin.escapeId(name)}.orders TO ?@?`, [user, '%']);
  return name;
};

/** Runs `sql` as `user` in `database`: the rows, `ok` for a statement, or the error message when refused. */
const queryAs = async (database: string, user: string, password: string, sql: string) => {
  try {
    const connection = await mysql.createConnection({
      host: MYSQL.host,
      port: MYSQL.port,
      user,
      password,
      database,
    });
    try {
      const [rows] = await connection.query(sql);
      return Array.isArray(rows) ? rows : 'ok';
    } finally {
      await connection.end();
    }
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
};

const canReadOrders = async (database: string, user: string, password: string): Promise<boolean> => {
  const rows = await queryAs(database, user, password, 'SELECT id FROM orders');
  return Array.isArray(rows) && (rows[0] as { id?: number } | undefined)?.id === 42;
};

const userSecret = (username: string, password: string, extra: Record<string, unknown> = {}) => ({
  engine: 'mariadb',
  host: MYSQL.host,
  port: MYSQL.port,
  username,
  password,
  ssl: false,
  ...extra,
});

const login = (value: Record<string, unknown>, port: number = MYSQL.port) =>
  mysqlCanLogin(field(value, 'username'), field(value, 'password'), port);

beforeAll(async () => {
  admin = await mysqlAdmin();
  await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [masterUser, '%', masterPassword]);
  await admin.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [masterUser, '%']);
  harness = await startRotationHarness();
  masterArn = await harness.createSecret(
    'my-master',
    {
      engine: 'mariadb',
      host: MYSQL.host,
      port: MYSQL.port,
      username: masterUser,
      password: masterPassword,
      ssl: false,
    },
    SUPERUSER_TAGS,
  );
});

afterEach(async () => {
  for (const database of databasesToDrop.splice(0)) {
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeId(database)}`);
  }
  await mysqlDropUsers(admin, usersToDrop.splice(0));
});

afterAll(async () => {
  await harness?.close();
  if (admin) {
    await mysqlDropUsers(admin, [masterUser]);
    await admin.end();
  }
});

describe('single user', () => {
  it('rotates through RotateSecret: the new AWSCURRENT logs in, the old password no longer does, other fields are kept', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-1');
    const arn = await harness.createSecret(
      'my-single',
      userSecret(user, 'initial-password-1', { dbClusterIdentifier: 'c-1' }),
    );

    const result = await harness.rotate(arn);

    expect(result.failure).toBeUndefined();
    const current = await harness.valueAt(arn, 'AWSCURRENT');
    expect(field(current, 'username')).toBe(user);
    expect(current.dbClusterIdentifier).toBe('c-1');
    expect(field(current, 'password') === 'initial-password-1').toBe(false);
    expect(await login(current)).toBe(true);
    expect(await mysqlCanLogin(user, 'initial-password-1')).toBe(false);
  });

  it('rotates ten times in a row; each time only the newest password logs in', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-2');
    const arn = await harness.createSecret('my-single-ten', userSecret(user, 'initial-password-2'));
    let previous = 'initial-password-2';
    for (let i = 0; i < 10; i += 1) {
      const result = await harness.rotate(arn);
      expect(result.failure).toBeUndefined();
      const current = await harness.valueAt(arn, 'AWSCURRENT');
      expect(await login(current)).toBe(true);
      expect(await mysqlCanLogin(user, previous)).toBe(false);
      previous = field(current, 'password');
    }
  });
});

describe('alternating users behave as one user (objects one creates, the other uses)', () => {
  const as = queryAs;

  it('a table the clone creates is usable by the user, and the other way round (the grants are on the database)', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-10');
    const database = `db_${randomSuffix()}`;
    databasesToDrop.push(database);
    await admin.query(`CREATE DATABASE ${admin.escapeId(database)}`);
    await admin.query(`GRANT ALL PRIVILEGES ON ${admin.escapeId(database)}.* TO ?@?`, [user, '%']);
    const arn = await harness.createSecret('my-one-user', {
      ...userSecret(user, 'initial-password-10'),
      masterarn: masterArn,
    });

    expect((await harness.rotate(arn)).failure).toBeUndefined();
    const clonePassword = field(await harness.valueAt(arn, 'AWSCURRENT'), 'password');
    const clone = `${user}_clone`;

    expect(await as(database, clone, clonePassword, 'CREATE TABLE by_clone (id int)')).toBe('ok');
    expect(await as(database, clone, clonePassword, 'INSERT INTO by_clone VALUES (1)')).toBe('ok');
    expect(await as(database, user, 'initial-password-10', 'INSERT INTO by_clone VALUES (2)')).toBe('ok');
    expect(await as(database, user, 'initial-password-10', 'SELECT COUNT(*) AS n FROM by_clone')).toEqual([
      { n: 2 },
    ]);
    expect(await as(database, user, 'initial-password-10', 'CREATE TABLE by_user (id int)')).toBe('ok');
    expect(await as(database, clone, clonePassword, 'INSERT INTO by_user VALUES (3)')).toBe('ok');
    expect(await as(database, clone, clonePassword, 'DROP TABLE by_user')).toBe('ok');
    expect(await as(database, user, 'initial-password-10', 'ALTER TABLE by_clone ADD COLUMN note text')).toBe(
      'ok',
    );
  });
});

describe('alternating users', () => {
  it('creates user_clone with the grants of the user; both log in; the user current two rotations ago gets the newest password', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-3');
    const database = await createDatabaseFor(user);
    const arn = await harness.createSecret('my-alt', {
      ...userSecret(user, 'initial-password-3'),
      dbname: database,
      masterarn: masterArn,
    });

    const first = await harness.rotate(arn);

    expect(first.failure).toBeUndefined();
    const afterFirst = await harness.valueAt(arn, 'AWSCURRENT');
    expect(field(afterFirst, 'username')).toBe(`${user}_clone`);
    expect(await canReadOrders(database, `${user}_clone`, field(afterFirst, 'password'))).toBe(true);
    expect(await canReadOrders(database, user, 'initial-password-3')).toBe(true);

    const second = await harness.rotate(arn);

    expect(second.failure).toBeUndefined();
    const afterSecond = await harness.valueAt(arn, 'AWSCURRENT');
    expect(field(afterSecond, 'username')).toBe(user);
    expect(await canReadOrders(database, user, field(afterSecond, 'password'))).toBe(true);
    expect(await mysqlCanLogin(user, 'initial-password-3')).toBe(false);
    expect(await canReadOrders(database, `${user}_clone`, field(afterFirst, 'password'))).toBe(true);
  });

  it('rotates ten times in a row, alternating the users, with AWSCURRENT and AWSPREVIOUS both logging in', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-4');
    const arn = await harness.createSecret('my-alt-ten', {
      ...userSecret(user, 'initial-password-4'),
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
    await createUser(user, 'initial-password-5');
    const arn = await harness.createSecret('my-alt-stolen', {
      ...userSecret(user, 'not-the-password'),
      masterarn: masterArn,
    });

    const result = await harness.rotate(arn);

    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain('current credential');
    expect(result.failure?.message).toContain('ER_ACCESS_DENIED_ERROR');
    expect(result.failure?.message).not.toContain('not-the-password');
    const [rows] = await admin.query<RowDataPacket[]>('SELECT 1 FROM mysql.user WHERE User = ?', [
      `${user}_clone`,
    ]);
    expect(rows).toHaveLength(0);
  });

  it("gives the clone the user's REQUIRE options and column grants", async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(
      user,
      'initial-password-9',
      "SUBJECT '/CN=app' AND CIPHER 'ECDHE-RSA-AES256-GCM-SHA384'",
    );
    const database = await createDatabaseFor(user);
    await admin.query(`GRANT UPDATE (id) ON ${admin.escapeId(database)}.orders TO ?@?`, [user, '%']);
    const session = await mysqlAdapter.open({
      engine: 'mariadb',
      host: MYSQL.host,
      port: MYSQL.port,
      username: masterUser,
      password: masterPassword,
      tls: { mode: 'disable' },
    });
    try {
      await mysqlAdapter.ensureAlternateUser(session, {
        template: user,
        target: `${user}_clone`,
        password: 'clone-password-9',
        account: { host: '%' },
      });
    } finally {
      await mysqlAdapter.close(session);
    }
    const [rows] = await admin.query<RowDataPacket[]>(
      'SELECT ssl_type, x509_subject, ssl_cipher FROM mysql.user WHERE User = ?',
      [`${user}_clone`],
    );
    expect(String(rows[0]?.ssl_type)).toBe('SPECIFIED');
    expect(String(rows[0]?.x509_subject)).toBe('/CN=app');
    expect(String(rows[0]?.ssl_cipher)).toBe('ECDHE-RSA-AES256-GCM-SHA384');
    const [grants] = await admin.query<RowDataPacket[]>('SHOW GRANTS FOR ?@?', [`${user}_clone`, '%']);
    const text = grants.map((row) => String(Object.values(row)[0])).join('\n');
    expect(text).toContain('GRANT SELECT, UPDATE (`id`) ON');
  });
});

describe.each([
  ['single-user', false],
  ['alternating-users', true],
] as const)('%s: retries, interruptions and failures', (strategy, alternating) => {
  const makeSecret = async (label: string, extra: Record<string, unknown> = {}) => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-6');
    const arn = await harness.createSecret(label, {
      ...userSecret(user, 'initial-password-6'),
      ...(alternating ? { masterarn: await superuserFor(harness, masterArn, extra) } : {}),
      ...extra,
    });
    return { user, arn };
  };

  databaseScenarios({
    prefix: 'my',
    strategy,
    alternating,
    harness: () => harness,
    makeSecret,
    login,
    serverPort: () => MYSQL.port,
    // Alternating users never touch the current user; single user only changes it in setSecret.
    currentWorksWhenInterruptedAfter: (lastStep) => alternating || lastStep === 'createSecret',
    allowLogin: async (user, allowed) => {
      await admin.query(`ALTER USER ?@? ACCOUNT ${allowed ? 'UNLOCK' : 'LOCK'}`, [user, '%']);
    },
    finishUsesServer: false,
    allowSuperuser: async (allowed) => {
      if (allowed)
        await admin.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [masterUser, '%']);
      else await admin.query('REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@?', [masterUser, '%']);
    },
    limitConnections: async (user, limit) => {
      await admin.query('ALTER USER ?@? WITH MAX_USER_CONNECTIONS ?', [user, '%', limit ?? 0]);
    },
  });

  it('fails with the server error code when the database refuses the credentials mid-rotation, and AWSCURRENT still logs in afterwards', async () => {
    const { user, arn } = await makeSecret(`my-locked-${strategy}`);
    const refusing = harness.registerFunction(async (handler, event) => {
      await handler(event);
      if (event.Step === 'createSecret') await admin.query('ALTER USER ?@? ACCOUNT LOCK', [user, '%']);
    });

    const result = await harness.rotate(arn, { functionArn: refusing });

    expect(result.failure?.step).toBe('setSecret');
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain('the current credential');
    expect(result.failure?.message).toMatch(/ER_ACCOUNT_HAS_BEEN_LOCKED|locked/i);
    expect(result.failure?.message).not.toContain('initial-password-6');
    await admin.query('ALTER USER ?@? ACCOUNT UNLOCK', [user, '%']);
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
  });

  it('rotates hostile user names and passwords (quotes, backslashes, semicolons, Unicode) without running them as SQL', async () => {
    const user = `a'b"c\\d;--ü€_${randomSuffix()}`;
    const initial = `p'q"r\\s; DROP USER root; -- ü€`;
    await createUser(user, initial);
    let generated = 0;
    const hostile = harness.registerFunction(async (handler, event) => handler(event), {
      generatePassword: async () => {
        generated += 1;
        return `x'y"z\\; DROP DATABASE mysql; --ü€${generated}${randomSuffix()}`;
      },
    });
    const arn = await harness.createSecret(`my-hostile-${strategy}`, {
      ...userSecret(user, initial),
      ...(alternating ? { masterarn: masterArn } : {}),
    });

    for (let i = 0; i < 2; i += 1) {
      const result = await harness.rotate(arn, { functionArn: hostile });
      expect(result.failure).toBeUndefined();
      expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
    }
    expect(await login(await harness.valueAt(arn, 'AWSPREVIOUS'))).toBe(alternating);
    const [rows] = await admin.query<RowDataPacket[]>("SELECT 1 FROM mysql.user WHERE User = 'root'");
    expect(rows.length).toBeGreaterThan(0);
  });
});

describe('TLS', () => {
  it('never falls back to plaintext: a secret without "ssl" requires TLS, and a server without it fails the step saying so', async () => {
    const user = `app_${randomSuffix()}`;
    await createUser(user, 'initial-password-8');
    const { ssl: _plaintext, ...withoutSsl } = userSecret(user, 'initial-password-8');
    const arn = await harness.createSecret('my-tls-off', withoutSsl);

    const [variables] = await admin.query<RowDataPacket[]>("SHOW VARIABLES LIKE 'have_ssl'");
    const serverHasTls = String(variables[0]?.Value) === 'YES';

    const result = await harness.rotate(arn);

    if (serverHasTls) {
      // A server with TLS gets an encrypted rotation (the default mode is require).
      expect(result.failure).toBeUndefined();
      return;
    }
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain('HANDSHAKE_NO_SSL_SUPPORT');
    expect(result.failure?.message).toContain('"ssl": false');
    expect(await mysqlCanLogin(user, 'initial-password-8')).toBe(true);
  });
});
