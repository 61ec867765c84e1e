import { SecretFormatError } from '../errors.js';
import type { PasswordPolicy } from './types.js';

/**
 * The database secret format, compatible with the secrets AWS's own rotation templates use
 * (`engine`, `host`, `port`, `username`, `password`, `dbname`, `masterarn`, `ssl`), so a
 * secret can move to this function without being rewritten. Any other key (RDS adds
 * `dbInstanceIdentifier`, `dbClusterIdentifier`, `proxyname`, ...) is kept unchanged in every
 * new version rather than rejected: those secrets are shared with other tools that read them.
 */

/** The server families the database rotators speak to. */
export type EngineFamily = 'postgres' | 'mysql' | 'redis';

/** `engine` values, as AWS names them, and the family that rotates each. */
export const DATABASE_ENGINES: Readonly<Record<string, EngineFamily>> = {
  postgres: 'postgres',
  'aurora-postgresql': 'postgres',
  mysql: 'mysql',
  'aurora-mysql': 'mysql',
  mariadb: 'mysql',
  redis: 'redis',
};

/** The default port of each family, used when the secret has no `port` (as the AWS templates do). */
export const DEFAULT_PORTS: Readonly<Record<EngineFamily, number>> = {
  postgres: 5432,
  mysql: 3306,
  redis: 6379,
};

/**
 * How the connection is protected:
 * - `disable`: plaintext (`ssl: false`);
 * - `require`: TLS, certificate not checked (protects against eavesdropping only);
 * - `verify-ca`: TLS, certificate must chain to `ca` (or the system roots);
 * - `verify-full`: as `verify-ca`, and the certificate must name `host`.
 */
export type TlsMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface TlsSettings {
  readonly mode: TlsMode;
  /** PEM bundle of the certificate authorities to trust; the system roots when absent. */
  readonly ca?: string;
}

/** A database secret value, parsed and checked. Never log `password`. */
export interface DatabaseSecret {
  readonly engine: string;
  readonly family: EngineFamily;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname?: string;
  /** ARN (or name) of the superuser secret, for alternating users. */
  readonly masterarn?: string;
  readonly tls: TlsSettings;
  /** The secret's JSON object as stored, so a new version keeps every other key unchanged. */
  readonly raw: Readonly<Record<string, unknown>>;
}

const TLS_MODES: readonly TlsMode[] = ['require', 'verify-ca', 'verify-full'];

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

/**
 * Parses `ssl`. AWS's templates accept `true`/`false` (also as strings) and, when the key is
 * absent, try TLS and fall back to plaintext without saying so. Falling back silently is
 * what this function never does, so an absent `ssl` means `require`: encrypted, and a server
 * without TLS fails with a message telling the user to set `ssl: false` if plaintext is meant.
 * `true` means `verify-full`, as in AWS's templates (`sslmode=verify-full`).
 */
export const parseTlsSettings = (value: unknown, where: string): TlsSettings => {
  if (value === undefined || value === null) return { mode: 'require' };
  if (value === true || value === 'true') return { mode: 'verify-full' };
  if (value === false || value === 'false') return { mode: 'disable' };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SecretFormatError(
      `Field ssl of ${where} must be true, false or an object {"mode": "require" | "verify-ca" | "verify-full", "ca": "<PEM>"}; got ${describe(value)}.`,
      { field: 'ssl' },
    );
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (key !== 'mode' && key !== 'ca') {
      throw new SecretFormatError(
        `Field ssl.${key.slice(0, 40)} of ${where} is not a known setting; the ssl object takes only "mode" and "ca".`,
        { field: `ssl.${key}` },
      );
    }
  }
  const { mode, ca } = object;
  if (typeof mode !== 'string' || !(TLS_MODES as readonly string[]).includes(mode)) {
    throw new SecretFormatError(
      `Field ssl.mode of ${where} must be one of ${TLS_MODES.join(', ')} (use "ssl": false for plaintext); got ${mode === undefined ? 'nothing' : describe(mode)}${typeof mode === 'string' ? ' that is not one of them' : ''}.`,
      { field: 'ssl.mode' },
    );
  }
  if (ca !== undefined && (typeof ca !== 'string' || !ca.includes('-----BEGIN CERTIFICATE-----'))) {
    throw new SecretFormatError(
      `Field ssl.ca of ${where} must be a PEM bundle of CA certificates (text starting with -----BEGIN CERTIFICATE-----); got ${describe(ca)}${typeof ca === 'string' ? ' without a certificate in it' : ''}.`,
      { field: 'ssl.ca' },
    );
  }
  if (ca !== undefined && mode === 'require') {
    throw new SecretFormatError(
      `Field ssl.ca of ${where} is set but ssl.mode is require, which does not check certificates: use verify-ca or verify-full so the CA bundle is used.`,
      { field: 'ssl.ca' },
    );
  }
  return { mode: mode as TlsMode, ...(typeof ca === 'string' ? { ca } : {}) };
};

const requiredString = (
  object: Record<string, unknown>,
  field: string,
  where: string,
  fix: string,
): string => {
  const value = object[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new SecretFormatError(
      `Field ${field} of ${where} must be a non-empty string (${fix}); ${value === undefined ? 'it is missing' : `got ${describe(value)}${typeof value === 'string' ? ' that is empty' : ''}`}.`,
      { field },
    );
  }
  return value;
};

const optionalString = (
  object: Record<string, unknown>,
  field: string,
  where: string,
): string | undefined => {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new SecretFormatError(
      `Field ${field} of ${where}, when present, must be a non-empty string; got ${describe(value)}${typeof value === 'string' ? ' that is empty' : ''}.`,
      { field },
    );
  }
  return value;
};

const parsePort = (value: unknown, family: EngineFamily, where: string): number => {
  if (value === undefined || value === null) return DEFAULT_PORTS[family];
  // AWS's templates read the port with int(), so a string of digits is accepted as well.
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SecretFormatError(
      `Field port of ${where} must be an integer from 1 to 65535 (or a string of digits), or be left out for the default ${DEFAULT_PORTS[family]}; got ${describe(value)} that is not a port.`,
      { field: 'port' },
    );
  }
  return port;
};

/**
 * Parses a database secret value. `where` names the version in messages (e.g. `the AWSCURRENT
 * version`). When `family` is given, the engine must belong to it (a superuser secret for a
 * PostgreSQL user must be a PostgreSQL secret). Throws `SecretFormatError` naming the field;
 * messages never contain a value from the secret.
 */
export const parseDatabaseSecret = (
  secretString: string,
  where: string,
  family?: EngineFamily,
): DatabaseSecret => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // The SyntaxError is not carried: its message quotes the secret text.
    throw new SecretFormatError(
      `The SecretString of ${where} is not JSON; a database secret is a JSON object {"engine", "host", "username", "password", ...}.`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretFormatError(
      `The SecretString of ${where} must be a JSON object {"engine", "host", "username", "password", ...}; got ${describe(parsed)}.`,
    );
  }
  const raw = parsed as Record<string, unknown>;
  // Lower-cased as the rotator registry does, so `Postgres` is rotated as it was selected.
  const engine = requiredString(raw, 'engine', where, `one of ${Object.keys(DATABASE_ENGINES).join(', ')}`)
    .trim()
    .toLowerCase();
  // hasOwn: an engine such as 'constructor' must not find Object.prototype's members.
  const engineFamily = Object.hasOwn(DATABASE_ENGINES, engine) ? DATABASE_ENGINES[engine] : undefined;
  if (engineFamily === undefined) {
    throw new SecretFormatError(
      `Field engine of ${where} names an engine the database rotators do not know; use one of ${Object.keys(DATABASE_ENGINES).join(', ')}.`,
      { field: 'engine' },
    );
  }
  if (family !== undefined && engineFamily !== family) {
    throw new SecretFormatError(
      `Field engine of ${where} must be a ${family} engine (${Object.entries(DATABASE_ENGINES)
        .filter(([, f]) => f === family)
        .map(([name]) => name)
        .join(', ')}) to match the secret being rotated.`,
      { field: 'engine' },
    );
  }
  const host = requiredString(raw, 'host', where, 'the server host name or IP address');
  const username = requiredString(raw, 'username', where, 'the database user to rotate');
  const password = requiredString(raw, 'password', where, "that user's password");
  const dbname = optionalString(raw, 'dbname', where);
  const masterarn = optionalString(raw, 'masterarn', where);
  return {
    engine,
    family: engineFamily,
    host,
    port: parsePort(raw.port, engineFamily, where),
    username,
    password,
    ...(dbname === undefined ? {} : { dbname }),
    ...(masterarn === undefined ? {} : { masterarn }),
    tls: parseTlsSettings(raw.ssl, where),
    raw,
  };
};

/**
 * Characters added to the function's excluded password characters for each family, when the
 * secret's `rekey:exclude-characters` tag does not replace them. The function-wide default
 * already excludes `/@"'\` as AWS's templates do for databases (they break connection URLs
 * and shell quoting). Redis also loses `:` (redis:// URLs), `,` and the space (ElastiCache
 * refuses both in passwords).
 */
export const EXTRA_EXCLUDED_CHARACTERS: Readonly<Record<EngineFamily, string>> = {
  postgres: '/@"\'\\',
  mysql: '/@"\'\\',
  redis: '/@"\'\\:, ',
};

/** The function's password defaults with the characters `family` breaks on excluded as well. */
export const databasePasswordDefaults = (family: EngineFamily, defaults: PasswordPolicy): PasswordPolicy => ({
  ...defaults,
  excludeCharacters: [...new Set([...defaults.excludeCharacters, ...EXTRA_EXCLUDED_CHARACTERS[family]])].join(
    '',
  ),
});

/** Suffix of the second user in alternating-users rotation, as in AWS's templates. */
export const CLONE_SUFFIX = '_clone';

/**
 * Longest user name each engine accepts. PostgreSQL counts bytes (NAMEDATALEN - 1); MySQL
 * 5.7.8 and later allow 32 characters, MariaDB 80; Redis has no limit.
 */
const USERNAME_LIMITS: Readonly<Record<string, { max: number; unit: 'bytes' | 'characters' }>> = {
  postgres: { max: 63, unit: 'bytes' },
  'aurora-postgresql': { max: 63, unit: 'bytes' },
  mysql: { max: 32, unit: 'characters' },
  'aurora-mysql': { max: 32, unit: 'characters' },
  mariadb: { max: 80, unit: 'characters' },
};

/**
 * The other user of an alternating pair: `name` ↔ `name_clone`. A name whose clone would be too
 * long is refused, as AWS's templates do, rather than truncated: a truncated clone name could
 * not be turned back into the original one on the next rotation.
 */
export const alternateUsername = (username: string, engine: string): string => {
  if (username.endsWith(CLONE_SUFFIX) && username.length > CLONE_SUFFIX.length) {
    return username.slice(0, -CLONE_SUFFIX.length);
  }
  const clone = `${username}${CLONE_SUFFIX}`;
  const limit = USERNAME_LIMITS[engine];
  if (limit !== undefined) {
    const size = limit.unit === 'bytes' ? Buffer.byteLength(clone, 'utf8') : [...clone].length;
    if (size > limit.max) {
      throw new SecretFormatError(
        `Field username is too long for alternating users: the second user's name adds "${CLONE_SUFFIX}" and ${engine} allows at most ${limit.max} ${limit.unit}, so the user name may have at most ${limit.max - CLONE_SUFFIX.length} ${limit.unit}. Rename the user or use the single-user strategy.`,
        { field: 'username' },
      );
    }
  }
  return clone;
};

/** The pair of alternating users: `base` holds the rights, `clone` is made from it. */
export const alternatingPair = (username: string): { base: string; clone: string } =>
  username.endsWith(CLONE_SUFFIX) && username.length > CLONE_SUFFIX.length
    ? { base: username.slice(0, -CLONE_SUFFIX.length), clone: username }
    : { base: username, clone: `${username}${CLONE_SUFFIX}` };

/**
 * The pending version's SecretString: the current one with a new password (and, for
 * alternating users, the other user name). Every other key is kept as it was.
 */
export const pendingSecretString = (
  current: DatabaseSecret,
  change: { username: string; password: string },
): string => JSON.stringify({ ...current.raw, username: change.username, password: change.password });
