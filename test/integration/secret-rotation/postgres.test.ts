import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseScenarios,
  field,
  type RotationHarness,
  SUPERUSER_TAGS,
  startRotationHarness,
  superuserFor,
} from '../helpers/database-rotation.js';
import {
  type PrivatePostgres,
  pgCanLogin,
  pgDropRoles,
  randomSuffix,
  startPrivatePostgres,
} from '../helpers/databases.js';

/**
 * PostgreSQL rotation through RotateSecret on the local endpoint, against a private cluster
 * that checks passwords (scram-sha-256) and speaks TLS (see helpers/databases.ts for why the
 * stock server cannot be used: it trusts every login).
 */

let server: PrivatePostgres;
let admin: pg.Client;
let harness: RotationHarness;
let masterArn: string;
const rolesToDrop: string[] = [];
const MASTER_ROLE = `rekey_admin_${randomSuffix()}`;
const MASTER_PASSWORD = `admin-${randomSuffix()}${randomSuffix()}`;
const databasesToDrop: string[] = [];

const ident = (name: string) => pg.escapeIdentifier(name);

/** Makes a login role with `password` and remembers it (and its clone) for clean-up. */
const createRole = async (name: string, password: string) => {
  rolesToDrop.push(name, `${name}_clone`);
  await admin.query(`CREATE ROLE ${ident(name)} WITH LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
};

/** A database with one table that only `role` (and what inherits from it) may read. */
const createDatabaseFor = async (role: string): Promise<string> => {
  const name = `db_${randomSuffix()}`;
  databasesToDrop.push(name);
  await admin.query(`CREATE DATABASE ${ident(name)}`);
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: 'postgres',
    password: server.superuserPassword,
    database: name,
  });
  await client.connect();
  try {
    await client.query('CREATE TABLE orders (id int)');
    await client.query('INSERT INTO orders VALUES (42)');
    await client.query(`GRANT SELECT ON orders TO ${ident(role)}`);
  } finally {
    await client.end();
  }
  return name;
};

/** Runs `sql` in `database` as `user`: the rows, or the error message when refused. */
const queryAs = async (database: string, user: string, password: string, sql: string) => {
  const client = new pg.Client({ host: server.host, port: server.port, user, password, database });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(sql)).rows;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
};

const canReadOrders = async (database: string, user: string, password: string): Promise<boolean> => {
  const rows = await queryAs(database, user, password, 'SELECT id FROM orders');
  return Array.isArray(rows) && rows[0]?.id === 42;
};

/** Reloads the configuration and waits until new connections see `ssl` at `value`. */
const reloadUntilSsl = async (value: 'on' | 'off') => {
  await admin.query('SELECT pg_reload_conf()');
  for (let i = 0; i < 50; i += 1) {
    const client = await server.admin();
    const shown = await client.query('SHOW ssl');
    await client.end();
    if (shown.rows[0]?.ssl === value) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not switch ssl ${value}`);
};

const userSecret = (username: string, password: string, extra: Record<string, unknown> = {}) => ({
  engine: 'postgres',
  host: server.host,
  port: server.port,
  username,
  password,
  dbname: 'postgres',
  ssl: false,
  ...extra,
});

const login = (value: Record<string, unknown>) =>
  pgCanLogin(server, field(value, 'username'), field(value, 'password'));

beforeAll(async () => {
  server = await startPrivatePostgres();
  admin = await server.admin();
  harness = await startRotationHarness();
  // Not a superuser: a role with CREATEROLE, as RDS's master user is (rds_superuser is no
  // PostgreSQL superuser), so the tests prove the rotation needs no more than that.
  await admin.query(
    `CREATE ROLE ${ident(MASTER_ROLE)} LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(MASTER_PASSWORD)}`,
  );
  masterArn = await harness.createSecret(
    'pg-master',
    {
      engine: 'postgres',
      host: server.host,
      port: server.port,
      username: MASTER_ROLE,
      password: MASTER_PASSWORD,
      ssl: false,
    },
    SUPERUSER_TAGS,
  );
});

afterEach(async () => {
  for (const database of databasesToDrop.splice(0)) {
    await admin.query(`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
  }
  await pgDropRoles(admin, rolesToDrop.splice(0));
});

afterAll(async () => {
  await harness?.close();
  await admin?.end();
  await server?.stop();
});

describe('single user', () => {
  it('rotates through RotateSecret: the new AWSCURRENT logs in, the old password no longer does, other fields are kept', async () => {
    const user = `app_${randomSuffix()}`;
    await createRole(user, 'initial-password-1');
    const arn = await harness.createSecret(
      'pg-single',
      userSecret(user, 'initial-password-1', { dbInstanceIdentifier: 'db-1' }),
    );

    const result = await harness.rotate(arn);

    expect(result.failure).toBeUndefined();
    expect(result.steps.map((s) => s.step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    const current = await harness.valueAt(arn, 'AWSCURRENT');
    expect(field(current, 'username')).toBe(user);
    expect(current.dbInstanceIdentifier).toBe('db-1');
    expect(field(current, 'password') === 'initial-password-1').toBe(false);
    expect(await login(current)).toBe(true);
    expect(await pgCanLogin(server, user, 'initial-password-1')).toBe(false);
    // The password reaches the server as a SCRAM verifier, never as text it could log.
    const stored = await admin.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [user]);
    expect(String(stored.rows[0]?.rolpassword)).toMatch(/^SCRAM-SHA-256\$4096:/);
  });

  it('rotates ten times in a row; each time only the newest password logs in', async () => {
    const user = `app_${randomSuffix()}`;
    await createRole(user, 'initial-password-2');
    const arn = await harness.createSecret('pg-single-ten', userSecret(user, 'initial-password-2'));
    const seen = new Set<string>(['initial-password-2']);
    let previous = 'initial-password-2';
    for (let i = 0; i < 10; i += 1) {
      const result = await harness.rotate(arn);
      expect(result.failure).toBeUndefined();
      const current = await harness.valueAt(arn, 'AWSCURRENT');
      const password = field(current, 'password');
      expect(seen.has(password)).toBe(false);
      seen.add(password);
      expect(await login(current)).toBe(true);
      expect(await pgCanLogin(server, user, previous)).toBe(false);
      previous = password;
    }
  });
});

describe('alternating users behave as one user (objects one creates, the other uses)', () => {
  const as = queryAs;

  it('a table the clone creates is usable by the user, and the other way round, across two rotations', async () => {
    const user = `app_${randomSuffix()}`;
    await createRole(user, 'initial-password-10');
    const database = `db_${randomSuffix()}`;
    databasesToDrop.push(database);
    await admin.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(user)}`);
    const arn = await harness.createSecret('pg-one-user', {
      ...userSecret(user, 'initial-password-10'),
      dbname: database,
      masterarn: masterArn,
    });

    expect((await harness.rotate(arn)).failure).toBeUndefined();
    const clone = await harness.valueAt(arn, 'AWSCURRENT');
    const clonePassword = field(clone, 'password');
    expect(field(clone, 'username')).toBe(`${user}_clone`);

    expect(await as(database, `${user}_clone`, clonePassword, 'CREATE TABLE by_clone (id int)')).toEqual([]);
    expect(await as(database, `${user}_clone`, clonePassword, 'INSERT INTO by_clone VALUES (1)')).toEqual([]);
    expect(await as(database, user, 'initial-password-10', 'INSERT INTO by_clone VALUES (2)')).toEqual([]);
    expect(
      await as(database, user, 'initial-password-10', 'SELECT count(*)::int AS n FROM by_clone'),
    ).toEqual([{ n: 2 }]);
    expect(await as(database, user, 'initial-password-10', 'CREATE TABLE by_user (id int)')).toEqual([]);
    expect(await as(database, `${user}_clone`, clonePassword, 'INSERT INTO by_user VALUES (3)')).toEqual([]);
    // Both own what either made: the table the clone created belongs to the user.
    const owner = await as(
      database,
      user,
      'initial-password-10',
      "SELECT tableowner FROM pg_tables WHERE tablename = 'by_clone'",
    );
    expect(owner).toEqual([{ tableowner: user }]);

    expect((await harness.rotate(arn)).failure).toBeUndefined();
    const back = await harness.valueAt(arn, 'AWSCURRENT');
    expect(field(back, 'username')).toBe(user);
    expect(
      await as(database, user, field(back, 'password'), 'ALTER TABLE by_clone ADD COLUMN note text'),
    ).toEqual([]);
    expect(await as(database, `${user}_clone`, clonePassword, 'DROP TABLE by_user')).toEqual([]);
  });
});

describe('alternating users', () => {
  it('creates user_clone with the rights of the user; both log in; the user current two rotations ago gets the newest password', async () => {
    const user = `app_${randomSuffix()}`;
    await createRole(user, 'initial-password-3');
    const database = await createDatabaseFor(user);
    const arn = await harness.createSecret('pg-alt', {
      ...userSecret(user, 'initial-password-3'),
      dbname: database,
      masterarn: masterArn,
    });

    const first = await harness.rotate(arn);

    expect(first.failure).toBeUndefined();
    const afterFirst = await harness.valueAt(arn, 'AWSCURRENT');
    expect(field(afterFirst, 'username')).toBe(`${user}_clone`);
    expect(await canReadOrders(database, `${user}_clone`, field(afterFirst, 'password'))).toBe(true);
    // The previous user keeps working until the next rotation.
    expect(await canReadOrders(database, user, 'initial-password-3')).toBe(true);

    const second = await harness.rotate(arn);

    expect(second.failure).toBeUndefined();
    const afterSecond = await harness.valueAt(arn, 'AWSCURRENT');
    expect(field(afterSecond, 'username')).toBe(user);
    expect(await canReadOrders(database, user, field(afterSecond, 'password'))).toBe(true);
    expect(await pgCanLogin(server, user, 'initial-password-3')).toBe(false);
    expect(await canReadOrders(database, `${user}_clone`, field(afterFirst, 'password'))).toBe(true);
    const previous = await harness.valueAt(arn, 'AWSPREVIOUS');
    expect(field(previous, 'username')).toBe(`${user}_clone`);
  });

  it('rotates ten times in a row, alternating the users, with AWSCURRENT and AWSPREVIOUS both logging in', async () => {
    const user = `app_${randomSuffix()}`;
    await createRole(user, 'initial-password-4');
    const arn = await harness.createSecret('pg-alt-ten', {
      ...userSecret(user, 'initial-password-4'),
      masterarn: masterArn,
    });
    for (let i = 0; i < 10; i += 1) {
      const result = await harness.rotate(arn);
      expect(result.failure).toBeUndefined();
      const current = await harness.valueAt(arn, 'AWSCURRENT');
      const previous = await harness.valueAt(arn, 'AWSPREVIOUS');
      expect(field(current, 'username')).toBe(i % 2 === 0 ? `${user}_clone` : user);
      expect(await login(current)).toBe(true);
      expect(await login(previous)).toBe(true);
    }
  });

  it('refuses to act as superuser when the current credential does not log in, and creates no user', async () => {
    const user = `app_${randomSuffix()}`;
    await createRole(user, 'initial-password-5');
    const arn = await harness.createSecret('pg-alt-stolen', {
      ...userSecret(user, 'not-the-password'),
      masterarn: masterArn,
    });

    const result = await harness.rotate(arn);

    expect(result.failure?.step).toBe('setSecret');
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain('current credential');
    expect(result.failure?.message).toContain('28P01');
    expect(result.failure?.message).not.toContain('not-the-password');
    const clone = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [`${user}_clone`]);
    expect(clone.rowCount).toBe(0);
  });
});

describe.each([
  ['single-user', false],
  ['alternating-users', true],
] as const)('%s: retries, interruptions and failures', (strategy, alternating) => {
  const makeSecret = async (label: string, extra: Record<string, unknown> = {}) => {
    const user = `app_${randomSuffix()}`;
    await createRole(user, 'initial-password-6');
    const arn = await harness.createSecret(label, {
      ...userSecret(user, 'initial-password-6'),
      ...(alternating ? { masterarn: await superuserFor(harness, masterArn, extra) } : {}),
      ...extra,
    });
    return { user, arn };
  };

  databaseScenarios({
    prefix: 'pg',
    strategy,
    alternating,
    harness: () => harness,
    makeSecret,
    login: (value, port = server.port) =>
      pgCanLogin({ host: server.host, port }, field(value, 'username'), field(value, 'password')),
    serverPort: () => server.port,
    // Alternating users never touch the current user; single user only changes it in setSecret.
    currentWorksWhenInterruptedAfter: (lastStep) => alternating || lastStep === 'createSecret',
    allowLogin: async (user, allowed) => {
      await admin.query(`ALTER ROLE ${ident(user)} ${allowed ? 'LOGIN' : 'NOLOGIN'}`);
    },
    finishUsesServer: false,
    allowSuperuser: async (allowed) => {
      await admin.query(`ALTER ROLE ${ident(MASTER_ROLE)} ${allowed ? 'CREATEROLE' : 'NOCREATEROLE'}`);
    },
    tls: {
      secretFields: { ssl: { mode: 'require' } },
      switchTo: async (on) => {
        if (on) await admin.query('ALTER SYSTEM RESET ssl');
        else await admin.query('ALTER SYSTEM SET ssl = off');
        await reloadUntilSsl(on ? 'on' : 'off');
      },
    },
    limitConnections: async (user, limit) => {
      await admin.query(`ALTER ROLE ${ident(user)} CONNECTION LIMIT ${limit ?? -1}`);
    },
  });

  it('fails with the server error code when the database refuses the credentials mid-rotation, and AWSCURRENT still logs in afterwards', async () => {
    const { user, arn } = await makeSecret(`pg-nologin-${strategy}`);
    const refusing = harness.registerFunction(async (handler, event) => {
      await handler(event);
      if (event.Step === 'createSecret') await admin.query(`ALTER ROLE ${ident(user)} NOLOGIN`);
    });

    const result = await harness.rotate(arn, { functionArn: refusing });

    expect(result.failure?.step).toBe('setSecret');
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain('the current credential');
    expect(result.failure?.message).toContain('28000');
    expect(result.failure?.message).toContain(`${server.host}:${server.port}`);
    expect(result.failure?.message).not.toContain('initial-password-6');
    await admin.query(`ALTER ROLE ${ident(user)} LOGIN`);
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
  });

  it('rotates hostile user names and passwords (quotes, backslashes, semicolons, Unicode) without running them as SQL', async () => {
    const user = `a'b"c\\d; DROP ROLE postgres; -- ü€_${randomSuffix()}`;
    const initial = `p'q"r\\s; DROP ROLE postgres; -- ü€`;
    await createRole(user, initial);
    const hostilePassword = (n: number) => `x'y"z\\; DROP TABLE pg_class; --ü€${n}${randomSuffix()}`;
    let generated = 0;
    const hostile = harness.registerFunction(async (handler, event) => handler(event), {
      generatePassword: async () => {
        generated += 1;
        return hostilePassword(generated);
      },
    });
    const arn = await harness.createSecret(`pg-hostile-${strategy}`, {
      ...userSecret(user, initial),
      ...(alternating ? { masterarn: masterArn } : {}),
    });

    for (let i = 0; i < 2; i += 1) {
      const result = await harness.rotate(arn, { functionArn: hostile });
      expect(result.failure).toBeUndefined();
      expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
    }
    expect(await login(await harness.valueAt(arn, 'AWSPREVIOUS'))).toBe(alternating);
    const superuser = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'postgres'");
    expect(superuser.rowCount).toBe(1);
  });
});

describe('TLS', () => {
  const tlsSecret = async (label: string, host: string, ssl: unknown) => {
    const user = `tls_${randomSuffix()}`;
    await createRole(user, 'initial-password-7');
    return harness.createSecret(label, { ...userSecret(user, 'initial-password-7'), host, ssl });
  };

  it('rotates over verified TLS (verify-full with the CA bundle, host name in the certificate)', async () => {
    const arn = await tlsSecret('pg-tls-full', 'localhost', { mode: 'verify-full', ca: server.caPem });
    const result = await harness.rotate(arn);
    expect(result.failure).toBeUndefined();
    expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
  });

  it('rotates with verify-ca against an IP address the certificate does not name', async () => {
    const arn = await tlsSecret('pg-tls-ca', '127.0.0.1', { mode: 'verify-ca', ca: server.caPem });
    const result = await harness.rotate(arn);
    expect(result.failure).toBeUndefined();
  });

  it('fails verify-full against a host name the certificate does not name, saying why', async () => {
    const arn = await tlsSecret('pg-tls-wrong-host', '127.0.0.1', { mode: 'verify-full', ca: server.caPem });
    const result = await harness.rotate(arn);
    expect(result.failure?.step).toBe('setSecret');
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(result.failure?.message).toContain('certificate');
    expect(field(await harness.valueAt(arn, 'AWSCURRENT'), 'password')).toBe('initial-password-7');
  });

  it('fails verify-full when the server certificate does not chain to a trusted CA', async () => {
    const arn = await tlsSecret('pg-tls-untrusted', 'localhost', true);
    const result = await harness.rotate(arn);
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|unable to (get|verify)/i);
  });

  it('never falls back to plaintext: with TLS off on the server, a secret asking for TLS fails and says so', async () => {
    await admin.query('ALTER SYSTEM SET ssl = off');
    await reloadUntilSsl('off');
    try {
      // No "ssl" field: the default is require (encrypted), never "try TLS, then plaintext".
      const user = `tls_${randomSuffix()}`;
      await createRole(user, 'initial-password-8');
      const { ssl: _ignored, ...withoutSsl } = userSecret(user, 'initial-password-8');
      const arn = await harness.createSecret('pg-tls-off', withoutSsl);
      const result = await harness.rotate(arn);
      expect(result.failure?.errorType).toBe('DatabaseLoginError');
      expect(result.failure?.message).toContain('does not support SSL');
      expect(result.failure?.message).toContain('"ssl": false');
      expect(await pgCanLogin(server, user, 'initial-password-8')).toBe(true);
    } finally {
      await admin.query('ALTER SYSTEM RESET ssl');
      await reloadUntilSsl('on');
    }
  });
});
