import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  field,
  type RotationHarness,
  SUPERUSER_TAGS,
  startRotationHarness,
} from '../helpers/database-rotation.js';
import {
  MYSQL,
  mysqlAdmin,
  mysqlDropUsers,
  type PrivatePostgres,
  type PrivateServer,
  pgDropRoles,
  REDIS,
  randomSuffix,
  redisAdmin,
  startPrivateMariadb,
  startPrivatePostgres,
  startPrivateRedis,
} from '../helpers/databases.js';

/**
 * The endpoint rule (issue 9 §1), tried as an attacker would. The attacker may write a secret
 * (its host, username, password and masterarn) but does not hold the production superuser
 * secret. They run their own server, on which they create a user with the production user's
 * name (and its clone's) and a password they know, then point the secret at it with masterarn
 * naming the production superuser secret. Before the rule, setSecret logged in on the
 * attacker's server and then, as the production superuser, created the clone of the
 * production user (or set the production user's password) on the production server.
 *
 * Every variant must be refused in setSecret, with an error naming both endpoints and no
 * password, and no user on either server may change. Each engine runs against a real
 * production-like server and a second real server started here for the attacker.
 */

interface Engine {
  readonly name: string;
  readonly engine: string;
  /** Production and attacker endpoints; both are 127.0.0.1, on different ports. */
  readonly prodPort: () => number;
  readonly attackerPort: () => number;
  /** Creates `user` on production with `password`, and on the attacker's server with `attackerPassword`. */
  readonly createVictim: (user: string, password: string, attackerPassword: string) => Promise<void>;
  /** Everything about the users that matter, on both servers (passwords as the servers store them). */
  readonly snapshot: (user: string) => Promise<unknown>;
  /** The production superuser's user name and password (its secret is for the production endpoint). */
  readonly superuser: () => { username: string; password: string };
  readonly extra?: Record<string, unknown>;
}

let harness: RotationHarness;

beforeAll(async () => {
  harness = await startRotationHarness();
});

afterAll(async () => {
  await harness?.close();
});

const ATTACKER_PASSWORD = 'attacker-knows-this-1';
const VICTIM_PASSWORD = 'production-secret-1';

const attackVariants = (e: Engine) => {
  let masterArn: string;

  const setUp = async () => {
    const master = { engine: e.engine, host: '127.0.0.1', port: e.prodPort(), ssl: false, ...e.superuser() };
    masterArn ??= await harness.createSecret(`${e.name}-prod-master`, master, {
      'rekey:superuser': 'true',
    });
    const victim = `victim_${randomSuffix()}`;
    await e.createVictim(victim, VICTIM_PASSWORD, ATTACKER_PASSWORD);
    return victim;
  };

  const secretFor = (victim: string, overrides: Record<string, unknown>) => ({
    engine: e.engine,
    host: '127.0.0.1',
    port: e.attackerPort(),
    username: victim,
    password: ATTACKER_PASSWORD,
    ssl: false,
    masterarn: masterArn,
    ...e.extra,
    ...overrides,
  });

  const expectRefusedAndNothingChanged = async (
    victim: string,
    value: Record<string, unknown>,
    tags: Record<string, string>,
    mention: string[],
  ) => {
    const before = await e.snapshot(victim);
    const arn = await harness.createSecret(`${e.name}-attack`, value, tags);

    const result = await harness.rotate(arn);

    expect(result.failure?.step).toBe('setSecret');
    expect(result.failure?.errorType).toBe('SuperuserEndpointError');
    for (const endpoint of mention) expect(result.failure?.message).toContain(endpoint);
    for (const password of [ATTACKER_PASSWORD, VICTIM_PASSWORD, e.superuser().password]) {
      expect(result.failure?.message).not.toContain(password);
    }
    expect(await e.snapshot(victim)).toEqual(before);
    // The secret keeps its AWSCURRENT value: nothing was rotated in.
    expect(field(await harness.valueAt(arn, 'AWSCURRENT'), 'password')).toBe(value.password);
  };

  const both = () => [`127.0.0.1:${e.prodPort()}`, `127.0.0.1:${e.attackerPort()}`];

  it('alternating users: refuses to clone the production user for a secret pointing at the attacker server', async () => {
    const victim = await setUp();
    await expectRefusedAndNothingChanged(victim, secretFor(victim, {}), {}, both());
  });

  it('alternating users: refuses to reset the production user from a secret naming its clone on the attacker server', async () => {
    const victim = await setUp();
    await expectRefusedAndNothingChanged(victim, secretFor(`${victim}_clone`, {}), {}, both());
  });

  it('single user with masterarn: refuses to set the production user password for a secret pointing at the attacker server', async () => {
    const victim = await setUp();
    await expectRefusedAndNothingChanged(
      victim,
      secretFor(victim, {}),
      { 'rekey:strategy': 'single-user' },
      both(),
    );
  });

  it('refuses another spelling of the production host (hosts are compared as written, not resolved)', async () => {
    const victim = await setUp();
    await expectRefusedAndNothingChanged(
      victim,
      secretFor(victim, { host: 'localhost', port: e.prodPort(), password: VICTIM_PASSWORD }),
      {},
      [`127.0.0.1:${e.prodPort()}`, `localhost:${e.prodPort()}`],
    );
  });

  it('on the production endpoint, refuses when the current credential does not log in there, and changes nothing', async () => {
    const victim = await setUp();
    const before = await e.snapshot(victim);
    const arn = await harness.createSecret(
      `${e.name}-guess`,
      secretFor(victim, { port: e.prodPort(), password: ATTACKER_PASSWORD }),
    );

    const result = await harness.rotate(arn);

    expect(result.failure?.step).toBe('setSecret');
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain('current credential');
    expect(await e.snapshot(victim)).toEqual(before);
  });
};

describe('PostgreSQL', () => {
  let prod: PrivatePostgres;
  let attacker: PrivatePostgres;
  let prodAdmin: pg.Client;
  let attackerAdmin: pg.Client;
  const roles: string[] = [];

  const roleRows = async (client: pg.Client) =>
    (
      await client.query(
        `SELECT a.rolname, a.rolpassword, a.rolcanlogin, a.rolsuper,
                ARRAY(SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
                       WHERE m.member = a.oid ORDER BY 1) AS member_of
           FROM pg_authid a ORDER BY a.rolname`,
      )
    ).rows;

  beforeAll(async () => {
    [prod, attacker] = await Promise.all([startPrivatePostgres(), startPrivatePostgres()]);
    prodAdmin = await prod.admin();
    attackerAdmin = await attacker.admin();
  });

  afterAll(async () => {
    if (prodAdmin) await pgDropRoles(prodAdmin, roles);
    await prodAdmin?.end();
    await attackerAdmin?.end();
    await Promise.all([prod?.stop(), attacker?.stop()]);
  });

  attackVariants({
    name: 'pg',
    engine: 'postgres',
    prodPort: () => prod.port,
    attackerPort: () => attacker.port,
    async createVictim(user, password, attackerPassword) {
      roles.push(user, `${user}_clone`);
      // pg's escapeLiteral is on the client class; identifiers here are random and safe.
      await prodAdmin.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
      await attackerAdmin.query(`CREATE ROLE ${user} LOGIN PASSWORD '${attackerPassword}'`);
      await attackerAdmin.query(`CREATE ROLE ${user}_clone LOGIN PASSWORD '${attackerPassword}'`);
    },
    // Both servers are private to this file: every role on them is compared.
    snapshot: async () => ({ prod: await roleRows(prodAdmin), attacker: await roleRows(attackerAdmin) }),
    superuser: () => ({ username: 'postgres', password: prod.superuserPassword }),
  });

  it('refuses a secret for another database of the production server than the superuser secret names', async () => {
    const victim = `victim_${randomSuffix()}`;
    roles.push(victim, `${victim}_clone`);
    await prodAdmin.query(`CREATE ROLE ${victim} LOGIN PASSWORD '${VICTIM_PASSWORD}'`);
    const masterArn = await harness.createSecret(
      'pg-prod-master-db',
      {
        engine: 'postgres',
        host: '127.0.0.1',
        port: prod.port,
        username: 'postgres',
        password: prod.superuserPassword,
        dbname: 'postgres',
        ssl: false,
      },
      SUPERUSER_TAGS,
    );
    const before = await roleRows(prodAdmin);
    const arn = await harness.createSecret('pg-attack-db', {
      engine: 'postgres',
      host: '127.0.0.1',
      port: prod.port,
      username: victim,
      password: VICTIM_PASSWORD,
      dbname: 'template1',
      ssl: false,
      masterarn: masterArn,
    });

    const result = await harness.rotate(arn);

    expect(result.failure?.errorType).toBe('SuperuserEndpointError');
    expect(result.failure?.message).toContain(`127.0.0.1:${prod.port}/postgres`);
    expect(result.failure?.message).toContain(`127.0.0.1:${prod.port}/template1`);
    expect(await roleRows(prodAdmin)).toEqual(before);
  });
});

/** Every account of a MariaDB server, with its stored password hash. */
const allAccounts = async (client: mysql.Connection) =>
  (await client.query('SELECT User, Host, authentication_string FROM mysql.user ORDER BY 1, 2'))[0];

describe('MariaDB', () => {
  let attacker: PrivateServer & { admin(): Promise<mysql.Connection> };
  let prodAdmin: mysql.Connection;
  let attackerAdmin: mysql.Connection;
  const masterUser = `rekey_admin_${randomSuffix()}`;
  const masterPassword = `admin-${randomSuffix()}${randomSuffix()}`;
  const users: string[] = [];

  const userRows = async (client: mysql.Connection, names: string[]) => {
    const [rows] = await client.query(
      'SELECT User, Host, authentication_string FROM mysql.user WHERE User IN (?) ORDER BY User, Host',
      [names],
    );
    return rows;
  };

  beforeAll(async () => {
    attacker = await startPrivateMariadb();
    prodAdmin = await mysqlAdmin();
    attackerAdmin = await attacker.admin();
    await prodAdmin.query('CREATE USER ?@? IDENTIFIED BY ?', [masterUser, '%', masterPassword]);
    await prodAdmin.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [masterUser, '%']);
  });

  afterAll(async () => {
    if (prodAdmin) {
      await mysqlDropUsers(prodAdmin, [...users, masterUser]);
      await prodAdmin.end();
    }
    await attackerAdmin?.end();
    await attacker?.stop();
  });

  attackVariants({
    name: 'mariadb',
    engine: 'mariadb',
    prodPort: () => MYSQL.port,
    attackerPort: () => attacker.port,
    async createVictim(user, password, attackerPassword) {
      users.push(user, `${user}_clone`);
      await prodAdmin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
      for (const name of [user, `${user}_clone`]) {
        await attackerAdmin.query('CREATE USER ?@? IDENTIFIED BY ?', [name, '%', attackerPassword]);
      }
    },
    // The production server is shared with other test files: compare the accounts at stake
    // there (the victim, its clone, the superuser); the attacker's server is private, so all of it.
    snapshot: async (user) => ({
      prod: await userRows(prodAdmin, [user, `${user}_clone`, masterUser]),
      prodGrants: (await prodAdmin.query('SHOW GRANTS FOR ?@?', [user, '%']))[0],
      attacker: await allAccounts(attackerAdmin),
    }),
    superuser: () => ({ username: masterUser, password: masterPassword }),
  });
});

describe('MariaDB: a login the server matched to another account', () => {
  let server: PrivateServer & { admin(): Promise<mysql.Connection> };
  let root: mysql.Connection;

  beforeAll(async () => {
    // A private server: anonymous accounts would shadow every other test's logins on the shared one.
    server = await startPrivateMariadb();
    root = await server.admin();
  });

  afterAll(async () => {
    await root?.end();
    await server?.stop();
  });

  it('refuses to rotate when the current credential logged in as an anonymous account, and changes no account', async () => {
    const victim = `victim_${randomSuffix()}`;
    await root.query('CREATE USER ?@? IDENTIFIED BY ?', [victim, '%', VICTIM_PASSWORD]);
    // An anonymous account matches any user name, and its host is more specific than '%'.
    for (const host of ['127.0.0.1', 'localhost']) {
      await root.query('CREATE USER ?@? IDENTIFIED BY ?', ['', host, ATTACKER_PASSWORD]);
    }
    const before = await allAccounts(root);
    const arn = await harness.createSecret('mariadb-anonymous', {
      engine: 'mariadb',
      host: '127.0.0.1',
      port: server.port,
      username: victim,
      password: ATTACKER_PASSWORD,
      ssl: false,
    });

    const result = await harness.rotate(arn);

    expect(result.failure?.step).toBe('setSecret');
    expect(result.failure?.errorType).toBe('LoginIdentityError');
    expect(result.failure?.message).toContain(JSON.stringify(victim));
    expect(result.failure?.message).not.toContain(ATTACKER_PASSWORD);
    expect(await allAccounts(root)).toEqual(before);
  });
});

describe('Redis', () => {
  let attacker: PrivateServer;
  let prodAdmin: Awaited<ReturnType<typeof redisAdmin>>;
  let attackerAdmin: Awaited<ReturnType<typeof redisAdmin>>;
  const masterUser = `rekey_admin_${randomSuffix()}`;
  const masterPassword = `admin-${randomSuffix()}${randomSuffix()}`;
  const users: string[] = [];
  const RULES = ['~app:*', '+@read', '+@write', '+ping'];

  beforeAll(async () => {
    attacker = await startPrivateRedis();
    prodAdmin = await redisAdmin();
    attackerAdmin = await redisAdmin(attacker.port);
    await prodAdmin.sendCommand([
      'ACL',
      'SETUSER',
      masterUser,
      'on',
      `>${masterPassword}`,
      '~*',
      '&*',
      '+@all',
    ]);
  });

  afterAll(async () => {
    if (prodAdmin) {
      await prodAdmin.sendCommand(['ACL', 'DELUSER', masterUser, ...users]);
      await prodAdmin.close();
    }
    await attackerAdmin?.close();
    await attacker?.stop();
  });

  attackVariants({
    name: 'redis',
    engine: 'redis',
    prodPort: () => REDIS.port,
    attackerPort: () => attacker.port,
    async createVictim(user, password, attackerPassword) {
      users.push(user, `${user}_clone`);
      await prodAdmin.sendCommand(['ACL', 'SETUSER', user, 'on', `>${password}`, ...RULES]);
      for (const name of [user, `${user}_clone`]) {
        await attackerAdmin.sendCommand([
          'ACL',
          'SETUSER',
          name,
          'on',
          `>${attackerPassword}`,
          '+@all',
          '~*',
        ]);
      }
    },
    snapshot: async (user) => ({
      prod: await Promise.all(
        [user, `${user}_clone`, masterUser].map((name) => prodAdmin.sendCommand(['ACL', 'GETUSER', name])),
      ),
      attacker: await attackerAdmin.sendCommand(['ACL', 'LIST']),
    }),
    superuser: () => ({ username: masterUser, password: masterPassword }),
  });
});
