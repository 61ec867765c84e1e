import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { DatabaseStateError } from './database-errors.js';
import {
  type AccountInfo,
  CONNECT_TIMEOUT_MS,
  type ConnectTarget,
  createDatabaseRotator,
  type EngineAdapter,
  STATEMENT_TIMEOUT_MS,
} from './database-rotator.js';
import type { DatabaseRotatorFactory } from './index.js';
import { mysqlTlsOptions } from './tls.js';

/**
 * MySQL and MariaDB (`mysql`, `aurora-mysql`, `mariadb`). Single user: the user sets its own
 * password. Alternating users: the superuser creates `user_clone` on the same host part as
 * the user's account, with its `REQUIRE` options and grants, and sets its password.
 *
 * Values (user names, hosts, passwords) always go through mysql2's placeholders, which quote
 * them as string literals; account names are written `?@?`, which MySQL and MariaDB accept.
 */

/** The SQLSTATE-less MySQL error for "password_require_current is on": retry with REPLACE. */
const ER_MISSING_CURRENT_PASSWORD = 3892;

interface Session {
  readonly connection: Connection;
  readonly mariadb: boolean;
}

const run = async (session: Session, sql: string, values: unknown[] = []): Promise<RowDataPacket[]> => {
  const [rows] = await session.connection.query<RowDataPacket[]>(
    { sql, timeout: STATEMENT_TIMEOUT_MS },
    values,
  );
  return rows;
};

const accountExists = async (session: Session, user: string, host: string): Promise<boolean> =>
  (await run(session, 'SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', [user, host])).length > 0;

/** Quotes `text` as the server prints names in SHOW GRANTS: backticks (MariaDB, MySQL 8) or quotes (MySQL 5.7). */
const printedForms = (user: string, host: string): string[] => [
  `\`${user.replaceAll('`', '``')}\`@\`${host.replaceAll('`', '``')}\``,
  `'${user.replaceAll("'", "''")}'@'${host.replaceAll("'", "''")}'`,
  `'${user.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'@'${host.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`,
];

/**
 * Rewrites one SHOW GRANTS line of `user@host` for `target`: the grantee is the last ` TO `
 * followed by the account as the server prints it (object names, which come earlier, cannot
 * be mistaken for it), and everything after the grantee (`IDENTIFIED BY PASSWORD '<hash>'`,
 * `REQUIRE ...`) is dropped except `WITH GRANT OPTION` / `WITH ADMIN OPTION`.
 * `undefined` when the line is not a grant of this account.
 */
export const rewriteGrant = (
  line: string,
  user: string,
  host: string,
  target: string,
): string | undefined => {
  if (!/^GRANT\s/i.test(line)) return undefined;
  for (const form of printedForms(user, host)) {
    const at = line.lastIndexOf(` TO ${form}`);
    if (at < 0) continue;
    const head = line.slice(0, at);
    const tail = line.slice(at + 4 + form.length);
    const options = ['WITH GRANT OPTION', 'WITH ADMIN OPTION'].filter((option) =>
      tail.toUpperCase().includes(option),
    );
    return `${head} TO ${mysql.format('?@?', [target, host])}${options.length > 0 ? ` ${options.join(' ')}` : ''}`;
  }
  return undefined;
};

/** The REQUIRE clause that gives an account the TLS requirements `row` (from mysql.user) describes. */
const requireClause = (row: RowDataPacket): string => {
  const type = String(row.ssl_type ?? '').toUpperCase();
  if (type === 'ANY') return 'REQUIRE SSL';
  if (type === 'X509') return 'REQUIRE X509';
  if (type === 'SPECIFIED') {
    const parts: string[] = [];
    const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value ?? ''));
    if (text(row.x509_issuer)) parts.push(mysql.format('ISSUER ?', [text(row.x509_issuer)]));
    if (text(row.x509_subject)) parts.push(mysql.format('SUBJECT ?', [text(row.x509_subject)]));
    if (text(row.ssl_cipher)) parts.push(mysql.format('CIPHER ?', [text(row.ssl_cipher)]));
    return parts.length > 0 ? `REQUIRE ${parts.join(' AND ')}` : 'REQUIRE SSL';
  }
  return 'REQUIRE NONE';
};

/** The MySQL/MariaDB half of the database rotators, over `mysql2`. */
export const mysqlAdapter: EngineAdapter<Session> = {
  family: 'mysql',

  async open(target: ConnectTarget) {
    const tls = mysqlTlsOptions(target.tls);
    const connection = await mysql.createConnection({
      host: target.host,
      port: target.port,
      user: target.username,
      password: target.password,
      ...(target.dbname === undefined ? {} : { database: target.dbname }),
      ...(tls === undefined ? {} : { ssl: tls }),
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Never run several statements from one string, whatever a value contains.
      multipleStatements: false,
    });
    // A connection dropped between queries emits 'error'; the next query reports it instead.
    connection.on('error', () => undefined);
    const session: Session = { connection, mariadb: false };
    try {
      // mysql2 escapes with backslashes, which NO_BACKSLASH_ESCAPES would make literal: turn
      // it off for this session so quoting stays sound whatever the server's default mode.
      await run(session, "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')");
      const [version] = await run(session, 'SELECT VERSION() AS version');
      return { connection, mariadb: String(version?.version ?? '').includes('MariaDB') };
    } catch (error) {
      connection.destroy();
      throw error;
    }
  },

  async close(session) {
    await session.connection.end();
  },

  async ping(session) {
    await run(session, 'SELECT 1');
  },

  async sessionUser(session) {
    const [row] = await run(session, 'SELECT CURRENT_USER() AS account');
    const account = String(row?.account ?? '');
    const at = account.lastIndexOf('@');
    return at < 0 ? account : account.slice(0, at);
  },

  async restorePassword(session, { username, restored, failed, asSuperuser, account }) {
    if (asSuperuser) {
      await run(session, 'ALTER USER ?@? IDENTIFIED BY ?', [username, hostOf(account ?? {}), restored]);
      return;
    }
    await mysqlAdapter.changeOwnPassword(session, { username, oldPassword: failed, newPassword: restored });
  },

  async changeOwnPassword(session, { oldPassword, newPassword }) {
    if (session.mariadb) {
      // MariaDB lets every user SET PASSWORD for itself; its ALTER USER needs CREATE USER.
      await run(session, 'SET PASSWORD = PASSWORD(?)', [newPassword]);
      return;
    }
    try {
      await run(session, 'ALTER USER CURRENT_USER() IDENTIFIED BY ?', [newPassword]);
    } catch (error) {
      if ((error as { errno?: number }).errno !== ER_MISSING_CURRENT_PASSWORD) throw error;
      // The account has password_require_current (MySQL 8.0.13+): prove the old password.
      await run(session, 'ALTER USER CURRENT_USER() IDENTIFIED BY ? REPLACE ?', [newPassword, oldPassword]);
    }
  },

  async describeAccount(session) {
    // CURRENT_USER() is the account the server matched (user@host), which may be one of several
    // with the same user name; the clone is made on the same host part.
    const [row] = await run(session, 'SELECT CURRENT_USER() AS account');
    const account = String(row?.account ?? '');
    const at = account.lastIndexOf('@');
    return { host: at < 0 ? '%' : account.slice(at + 1) };
  },

  async setPasswordAsAdmin(session, { username, newPassword, account }) {
    const host = hostOf(account);
    if (!(await accountExists(session, username, host))) {
      throw new DatabaseStateError(`MySQL account ${mysql.format('?@?', [username, host])} does not exist.`);
    }
    await run(session, 'ALTER USER ?@? IDENTIFIED BY ?', [username, host, newPassword]);
  },

  async ensureAlternateUser(session, { template, target, password, account }) {
    const host = hostOf(account);
    const [templateRow] = await run(
      session,
      'SELECT ssl_type, ssl_cipher, x509_issuer, x509_subject FROM mysql.user WHERE User = ? AND Host = ?',
      [template, host],
    );
    if (templateRow === undefined) {
      throw new DatabaseStateError(
        `MySQL account ${mysql.format('?@?', [template, host])}, whose grants the alternate user copies, does not exist.`,
      );
    }
    if (target !== template) {
      await run(session, 'CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [target, host, password]);
      await run(session, `ALTER USER ?@? ${requireClause(templateRow)}`, [target, host]);
      const grants = await run(session, 'SHOW GRANTS FOR ?@?', [template, host]);
      for (const row of grants) {
        const line = String(Object.values(row)[0] ?? '');
        const grant = rewriteGrant(line, template, host, target);
        if (grant !== undefined) await run(session, grant);
      }
    }
    await run(session, 'ALTER USER ?@? IDENTIFIED BY ?', [target, host, password]);
  },
};

const hostOf = (account: AccountInfo): string => account.host ?? '%';

/** The registry's factory: MySQL/MariaDB rotation with the strategy it chose. */
export const createMysqlRotator: DatabaseRotatorFactory = (options) =>
  createDatabaseRotator(mysqlAdapter, options);
