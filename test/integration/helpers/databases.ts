import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';

/**
 * Real database servers for the integration tests, and helpers to create and drop the users
 * and databases each test makes for itself (random suffixes, so files run in parallel).
 *
 * PostgreSQL: the stock server on 5432 trusts every TCP login (pg_hba `trust`), so a wrong
 * password would still log in and no rotation could be checked against it. The tests
 * therefore run a private cluster: `initdb` into a temporary directory (as the `postgres`
 * OS user when the tests run as root, as PostgreSQL refuses to run as root), password
 * authentication (scram-sha-256) for every TCP login, TLS on with a CA and server
 * certificate the helper makes with openssl, on a free port. It needs only the PostgreSQL
 * server binaries, which a machine running the stock server has.
 */

const run = promisify(execFile);

/** A random lower-case suffix for names that must not collide across parallel test files. */
export const randomSuffix = (): string => randomBytes(5).toString('hex');

/** A free TCP port on loopback (the kernel picks it; the tiny race with another binder is acceptable in tests). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

/** Directory holding `initdb` and `pg_ctl`: `REKEY_PG_BINDIR`, `pg_config --bindir`, or the newest Debian install. */
const postgresBinDir = async (): Promise<string> => {
  const fromEnv = process.env.REKEY_PG_BINDIR;
  if (fromEnv) return fromEnv;
  try {
    const { stdout } = await run('pg_config', ['--bindir']);
    const dir = stdout.trim();
    if (existsSync(join(dir, 'initdb'))) return dir;
  } catch {
    // No pg_config on PATH: look where Debian and Ubuntu install the server.
  }
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? (await readdir(base)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = join(base, version, 'bin');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  throw new Error(
    'The PostgreSQL server binaries (initdb, pg_ctl) were not found: install the postgresql package or set REKEY_PG_BINDIR.',
  );
};

export interface TestCertificates {
  /** PEM of the CA that signed the server certificate. */
  readonly caPem: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Makes a throwaway CA and a server certificate for `dnsName` only (no IP address in the
 * subjectAltName, so `verify-full` against `127.0.0.1` must fail).
 */
export const makeTestCertificates = async (dir: string, dnsName: string): Promise<TestCertificates> => {
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(
    'openssl',
    ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt')].concat([
      '-subj',
      '/CN=rekey test CA',
      '-days',
      '2',
    ]),
  );
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    `/CN=${dnsName}`,
  ]);
  await writeFile(file('server.ext'), `subjectAltName=DNS:${dnsName}\nextendedKeyUsage=serverAuth\n`);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  ]);
  await chmod(file('server.key'), 0o600);
  return {
    caPem: await readFile(file('ca.crt'), 'utf8'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
  };
};

/** A private PostgreSQL cluster with password authentication and TLS. */
export interface PrivatePostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly superuser: 'postgres';
  readonly superuserPassword: string;
  /** The CA of the server certificate, which names `localhost` only. */
  readonly caPem: string;
  /** A superuser connection (plaintext), for test set-up and checks. */
  admin(): Promise<pg.Client>;
  stop(): Promise<void>;
}

const asPostgresUser = async (file: string, args: string[], cwd: string) => {
  // PostgreSQL refuses to run as root; as any other user it runs as that user.
  if (userInfo().uid === 0) return run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd });
  return run(file, args, { cwd });
};

/** Starts a private cluster for one test file; call `stop()` in `afterAll`. */
export const startPrivatePostgres = async (): Promise<PrivatePostgres> => {
  const bin = await postgresBinDir();
  const dir = await mkdtemp(join(tmpdir(), 'rekey-pg-'));
  const data = join(dir, 'data');
  const superuserPassword = `su-${randomSuffix()}${randomSuffix()}`;
  await writeFile(join(dir, 'pwfile'), `${superuserPassword}\n`);
  const certificates = await makeTestCertificates(dir, 'localhost');
  if (userInfo().uid === 0) {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    for (const name of [dir, ...(await readdir(dir)).map((entry) => join(dir, entry))]) {
      await chown(name, Number(uid.trim()), Number(gid.trim()));
    }
  }
  await asPostgresUser(
    join(bin, 'initdb'),
    [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=scram-sha-256',
      `--pwfile=${join(dir, 'pwfile')}`,
      '-E',
      'UTF8',
      '--no-sync',
    ],
    dir,
  );
  const port = await freePort();
  const settings = [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    'ssl = on',
    `ssl_cert_file = '${certificates.certFile}'`,
    `ssl_key_file = '${certificates.keyFile}'`,
    'fsync = off',
    'max_connections = 40',
    "password_encryption = 'scram-sha-256'",
  ];
  // Appended to postgresql.conf (not postgresql.auto.conf), so a test's ALTER SYSTEM RESET returns to these.
  await appendFile(join(data, 'postgresql.conf'), `\n${settings.join('\n')}\n`);
  // Every login over TCP, with or without TLS, must prove its password.
  await writeFile(
    join(data, 'pg_hba.conf'),
    'local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n',
  );
  if (userInfo().uid === 0) {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    await chown(join(data, 'pg_hba.conf'), Number(uid.trim()), -1);
  }
  await asPostgresUser(
    join(bin, 'pg_ctl'),
    ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'],
    dir,
  );
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    superuser: 'postgres',
    superuserPassword,
    caPem: certificates.caPem,
    async admin() {
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        password: superuserPassword,
        database: 'postgres',
        ssl: false,
      });
      await client.connect();
      return client;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await asPostgresUser(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], dir).catch(
        () => undefined,
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
};

/** Whether `username`/`password` can log in to the PostgreSQL server. */
export const pgCanLogin = async (
  server: { host: string; port: number },
  username: string,
  password: string,
  database = 'postgres',
): Promise<boolean> => {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: username,
    password,
    database,
    ssl: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
};

/** Drops roles (and what they own or were granted in `databases`), ignoring ones that do not exist. */
export const pgDropRoles = async (admin: pg.Client, roles: readonly string[]): Promise<void> => {
  for (const role of roles) {
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (exists.rowCount === 0) continue;
    await admin.query(`DROP OWNED BY ${pg.escapeIdentifier(role)} CASCADE`);
    await admin.query(`DROP ROLE ${pg.escapeIdentifier(role)}`);
  }
};

/** The stock MariaDB/MySQL server the tests use (root with an empty password over TCP). */
export const MYSQL = { host: '127.0.0.1', port: Number(process.env.REKEY_MYSQL_PORT ?? 3306) } as const;

/** A root connection to the MariaDB/MySQL server, for test set-up and checks. */
export const mysqlAdmin = async (): Promise<mysql.Connection> =>
  mysql.createConnection({ host: MYSQL.host, port: MYSQL.port, user: 'root', password: '' });

/** Whether `username`/`password` can log in to the MariaDB/MySQL server (at `port`, default the server's). */
export const mysqlCanLogin = async (
  username: string,
  password: string,
  port: number = MYSQL.port,
): Promise<boolean> => {
  try {
    const connection = await mysql.createConnection({ host: MYSQL.host, port, user: username, password });
    try {
      await connection.query('SELECT 1');
      return true;
    } finally {
      await connection.end();
    }
  } catch {
    return false;
  }
};

/** Drops accounts (user@'%'), ignoring ones that do not exist. */
export const mysqlDropUsers = async (admin: mysql.Connection, users: readonly string[]): Promise<void> => {
  for (const user of users) await admin.query('DROP USER IF EXISTS ?@?', [user, '%']);
};

/** The stock Redis server the tests use (its default user has no password). */
export const REDIS = { host: '127.0.0.1', port: Number(process.env.REKEY_REDIS_PORT ?? 6379) } as const;

/** A connection as Redis's default user (at `port`, default the stock server's), for test set-up and checks. */
export const redisAdmin = async (port: number = REDIS.port) => {
  const client = createClient({ socket: { host: REDIS.host, port, reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  return client;
};

/**
 * Runs `args` as `username`/`password`; resolves to the reply, or to the error's message when
 * the login or the command is refused (never includes the password).
 */
export const redisAs = async (
  username: string,
  password: string,
  args: string[] = ['PING'],
  port: number = REDIS.port,
): Promise<unknown> => {
  const client = createClient({
    socket: { host: REDIS.host, port, reconnectStrategy: false, connectTimeout: 3_000 },
    username,
    password,
    disableClientInfo: true,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.sendCommand(args);
  } catch (error) {
    return error instanceof Error ? `error: ${error.message}` : 'error';
  } finally {
    if (client.isOpen) await client.close().catch(() => undefined);
  }
};

/** Whether `username`/`password` can log in to Redis and PING. */
export const redisCanLogin = async (username: string, password: string, port: number = REDIS.port) =>
  (await redisAs(username, password, ['PING'], port)) === 'PONG';

/** A server the tests start for themselves (a second MariaDB or Redis, e.g. playing an attacker's). */
export interface PrivateServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  stop(): Promise<void>;
}

/** Waits until `ready()` resolves true, or fails after `seconds` naming `what` and its log. */
const waitUntil = async (what: string, ready: () => Promise<boolean>, log: string, seconds = 30) => {
  for (let i = 0; i < seconds * 10; i += 1) {
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const tail = await readFile(log, 'utf8').catch(() => '(no log)');
  throw new Error(`${what} did not start within ${seconds} s; its log ends with:\n${tail.slice(-2000)}`);
};

/**
 * Runs `command args` as a child process whose files live in `dir`, waits until `ready()`, and
 * returns how to stop it (SIGTERM, then the directory is removed). Fails, after stopping it,
 * when it is not ready within 30 s, quoting the end of `log`.
 */
const startChildServer = async (
  what: string,
  command: string,
  args: string[],
  dir: string,
  log: string,
  ready: () => Promise<boolean>,
): Promise<() => Promise<void>> => {
  const child = spawn(command, args, { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(what, ready, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
};

/**
 * A private MariaDB server in a temporary directory on a free port: `mariadb-install-db`, then
 * `mariadbd` as a child process. Root logs in over TCP with an empty password (as on the
 * stock server); use {@link mysqlCanLogin} and a root connection with `port`.
 */
export const startPrivateMariadb = async (): Promise<
  PrivateServer & { admin(): Promise<mysql.Connection> }
> => {
  const dir = await mkdtemp(join(tmpdir(), 'rekey-mariadb-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0 ? ['--user=root'] : [];
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...asRoot,
  ]);
  const port = await freePort();
  const log = join(dir, 'server.log');
  const admin = () => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '' });
  const stop = await startChildServer(
    'The private MariaDB server',
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'mariadb.sock')}`,
      `--pid-file=${join(dir, 'mariadb.pid')}`,
      `--log-error=${log}`,
      '--skip-log-bin',
      ...asRoot,
    ],
    dir,
    log,
    async () => {
      const connection = await admin();
      await connection.end();
      return true;
    },
  );
  return { host: '127.0.0.1', port, admin, stop };
};

/** A private Redis server on a free port (no persistence), as a child process. */
export const startPrivateRedis = async (): Promise<PrivateServer> => {
  const dir = await mkdtemp(join(tmpdir(), 'rekey-redis-'));
  const port = await freePort();
  const log = join(dir, 'server.log');
  const settings = { port: String(port), bind: '127.0.0.1', save: '', appendonly: 'no', dir, logfile: log };
  const stop = await startChildServer(
    'The private Redis server',
    'redis-server',
    Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value]),
    dir,
    log,
    async () => (await redisAs('default', '', ['PING'], port)) === 'PONG',
  );
  return { host: '127.0.0.1', port, stop };
};
