import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { DatabaseStateError } from './database-errors.js';
import {
  CONNECT_TIMEOUT_MS,
  type ConnectTarget,
  createDatabaseRotator,
  type EngineAdapter,
  STATEMENT_TIMEOUT_MS,
} from './database-rotator.js';
import type { DatabaseRotatorFactory } from './index.js';
import { nodeTlsOptions } from './tls.js';

/**
 * PostgreSQL (`postgres`, `aurora-postgresql`). Single user: the user runs `ALTER ROLE` on
 * itself. Alternating users: the superuser creates `user_clone` as a member of `user`'s role,
 * so it has the same rights, with `SET role = user` as its default so every object it
 * creates is owned by `user`, and sets its password.
 */

const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677, the format of
 * `pg_authid.rolpassword`). Sending the verifier instead of the password, as psql's
 * `\password` does, keeps the password out of the server's statement log and
 * pg_stat_statements. Only for printable ASCII, where SASLprep (which the server applies to
 * passwords) changes nothing; `undefined` otherwise, and the password is sent as a literal.
 */
export const scramVerifier = (password: string): string | undefined => {
  if (!/^[\x20-\x7e]+$/.test(password)) return undefined;
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
};

const passwordLiteral = (password: string): string => pg.escapeLiteral(scramVerifier(password) ?? password);
const ident = (name: string): string => pg.escapeIdentifier(name);

const roleExists = async (client: pg.Client, role: string): Promise<boolean> => {
  const result = await client.query('SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1', [role]);
  return result.rowCount === 1;
};

/** The PostgreSQL half of the database rotators, over `pg`. */
export const postgresAdapter: EngineAdapter<pg.Client> = {
  family: 'postgres',

  async open(target: ConnectTarget) {
    const client = new pg.Client({
      host: target.host,
      port: target.port,
      user: target.username,
      password: target.password,
      // AWS's templates connect to `postgres` when the secret names no database.
      database: target.dbname ?? 'postgres',
      // `false` explicitly: left undefined, pg would read PGSSLMODE from the environment.
      ssl: nodeTlsOptions(target.tls, target.host) ?? false,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      query_timeout: STATEMENT_TIMEOUT_MS + 2_000,
      application_name: 'rekey-secret-rotation',
    });
    // A connection dropped by the server between queries emits 'error'; unhandled, it would
    // crash the function. The next query fails and reports it instead.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  },

  async close(client) {
    await client.end();
  },

  async ping(client) {
    await client.query('SELECT 1');
  },

  async sessionUser(client) {
    const result = await client.query<{ user: string }>('SELECT session_user AS "user"');
    return String(result.rows[0]?.user ?? '');
  },

  async restorePassword(client, { username, restored }) {
    await client.query(`ALTER ROLE ${ident(username)} WITH PASSWORD ${passwordLiteral(restored)}`);
  },

  async changeOwnPassword(client, { username, newPassword }) {
    await client.query(`ALTER ROLE ${ident(username)} WITH PASSWORD ${passwordLiteral(newPassword)}`);
  },

  async setPasswordAsAdmin(client, { username, newPassword }) {
    if (!(await roleExists(client, username))) {
      throw new DatabaseStateError(
        `PostgreSQL role ${JSON.stringify(username)} does not exist: create it first.`,
      );
    }
    await client.query(`ALTER ROLE ${ident(username)} WITH PASSWORD ${passwordLiteral(newPassword)}`);
  },

  async describeAccount() {
    return {};
  },

  async ensureAlternateUser(client, { template, target, password }) {
    if (!(await roleExists(client, template))) {
      throw new DatabaseStateError(
        `PostgreSQL role ${JSON.stringify(template)}, whose rights the alternate user shares, does not exist.`,
      );
    }
    if (target === template) {
      await client.query(`ALTER ROLE ${ident(target)} WITH LOGIN PASSWORD ${passwordLiteral(password)}`);
      return;
    }
    // One transaction, so a failure leaves no clone without its membership.
    await client.query('BEGIN');
    try {
      if (await roleExists(client, target)) {
        await client.query(`ALTER ROLE ${ident(target)} WITH LOGIN PASSWORD ${passwordLiteral(password)}`);
      } else {
        await client.query(`CREATE ROLE ${ident(target)} WITH LOGIN PASSWORD ${passwordLiteral(password)}`);
      }
      const member = await client.query(
        `SELECT 1 FROM pg_catalog.pg_auth_members m
           JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
           JOIN pg_catalog.pg_roles u ON u.oid = m.member
          WHERE r.rolname = $1 AND u.rolname = $2`,
        [template, target],
      );
      // Membership (with INHERIT, the default) gives the clone every right of the user's role.
      if (member.rowCount === 0) await client.query(`GRANT ${ident(template)} TO ${ident(target)}`);
      // Every session of the clone runs as the user (SET ROLE at login), so what the clone
      // creates is owned by the user and usable by it, and the clone may use (and alter) all
      // the user owns: the two behave as one user. See docs/database-secrets.md.
      await client.query(`ALTER ROLE ${ident(target)} SET role = ${pg.escapeLiteral(template)}`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  },
};

/** The registry's factory: PostgreSQL rotation with the strategy it chose. */
export const createPostgresRotator: DatabaseRotatorFactory = (options) =>
  createDatabaseRotator(postgresAdapter, options);
