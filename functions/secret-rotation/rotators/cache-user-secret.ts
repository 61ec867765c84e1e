import { RotationConfigurationError, SecretFormatError } from '../errors.js';
import { PASSWORD_TAGS, passwordPolicyFromTags } from '../password.js';
import { parseTlsSettings, type TlsSettings } from './database-secret.js';
import { parseJsonObject, requireStringField } from './secret-format.js';
import type { PasswordPolicy } from './types.js';

/**
 * The secret format of ElastiCache (Redis OSS / Valkey) and MemoryDB users (docs/elasticache-users.md).
 * It is AWS's ElastiCache user rotation template's format, `user_arn`, `username`, `password`,
 * plus where the cluster is, so testSecret can log in with the new password:
 *
 * ```json
 * {"user_arn": "arn:aws:elasticache:eu-west-1:123456789012:user:app-user",
 *  "username": "app", "password": "...", "host": "clustercfg.x.cache.amazonaws.com", "port": 6379,
 *  "ssl": true}
 * ```
 *
 * A MemoryDB user's ARN is `arn:aws:memorydb:REGION:ACCOUNT:user/NAME`. `ssl` means what it means
 * in database secrets (absent: TLS without certificate check; `true`: verified; `false`: plaintext).
 * Every other field is kept unchanged in each new version.
 */

export type CacheService = 'elasticache' | 'memorydb';

/** A parsed `user_arn`. `userRef` is what the service's API names the user by (UserId / UserName). */
export interface CacheUserArn {
  readonly arn: string;
  readonly service: CacheService;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly userRef: string;
}

export interface CacheUserSecret {
  readonly user: CacheUserArn;
  readonly username: string;
  /** Absent in a first version made by hand (AWS's template allows that too). */
  readonly password?: string;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsSettings;
  readonly raw: Readonly<Record<string, unknown>>;
}

const FIX =
  'Store {"user_arn": "<ElastiCache or MemoryDB user ARN>", "username": "<its user name>", "password": "<its password>", "host": "<cluster endpoint>", "port": 6379, "ssl": true} (see docs/elasticache-users.md).';

/** User ids (ElastiCache) and user names (MemoryDB) as their API references constrain them. */
const USER_REF = /^[a-zA-Z][a-zA-Z0-9-]*$/;
const ARN =
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):(elasticache|memorydb):([a-z0-9-]+):(\d{12}):user([:/])(.+)$/;

/** Parses an ElastiCache or MemoryDB user ARN, or undefined when `value` is not one. */
export const parseCacheUserArn = (value: string): CacheUserArn | undefined => {
  const match = ARN.exec(value);
  if (!match) return undefined;
  const [, partition = '', service = '', region = '', account = '', separator, userRef = ''] = match;
  // ElastiCache writes user:ID, MemoryDB user/NAME.
  if ((service === 'elasticache') !== (separator === ':')) return undefined;
  if (!USER_REF.test(userRef)) return undefined;
  return { arn: value, service: service as CacheService, partition, region, account, userRef };
};

/** The service a secret's `user_arn` names, for rotator selection; undefined when it names neither. */
export const cacheServiceOf = (secret: Readonly<Record<string, unknown>>): CacheService | undefined =>
  typeof secret.user_arn === 'string' ? parseCacheUserArn(secret.user_arn)?.service : undefined;

const parsePort = (value: unknown, what: string): number => {
  if (value === undefined || value === null) return 6379;
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SecretFormatError(
      `Field "port" of ${what} must be an integer from 1 to 65535, or be left out for 6379. ${FIX}`,
      { field: 'port' },
    );
  }
  return port;
};

/** Parses and checks one version; errors name the field, never a value. */
export const parseCacheUserSecret = (text: string, what: string): CacheUserSecret => {
  const raw = parseJsonObject(text, what, FIX);
  const arnText = requireStringField(raw, 'user_arn', what, FIX);
  const user = parseCacheUserArn(arnText);
  if (!user) {
    throw new SecretFormatError(
      `Field "user_arn" of ${what} is not an ElastiCache user ARN (arn:aws:elasticache:REGION:ACCOUNT:user:USER_ID) or a MemoryDB user ARN (arn:aws:memorydb:REGION:ACCOUNT:user/USER_NAME). ${FIX}`,
      { field: 'user_arn' },
    );
  }
  const username = requireStringField(raw, 'username', what, FIX);
  if (username === '') {
    throw new SecretFormatError(`Field "username" of ${what} is empty. ${FIX}`, { field: 'username' });
  }
  const password = raw.password === undefined ? undefined : requireStringField(raw, 'password', what, FIX);
  const host = raw.host === undefined ? '' : requireStringField(raw, 'host', what, FIX);
  if (host === '') {
    throw new SecretFormatError(
      `Field "host" of ${what} is missing or empty: testSecret logs in to the cluster with the new password, so the secret must name the cluster's endpoint (the configuration or primary endpoint). ${FIX}`,
      { field: 'host' },
    );
  }
  return {
    user,
    username,
    ...(password === undefined || password === '' ? {} : { password }),
    host,
    port: parsePort(raw.port, what),
    tls: parseTlsSettings(raw.ssl, what),
    raw,
  };
};

/** Password rules of both services' users: 16 to 128 printable ASCII characters, none of `, " / @`. */
export const CACHE_PASSWORD_MIN = 16;
export const CACHE_PASSWORD_MAX = 128;
export const CACHE_EXCLUDED_CHARACTERS = ',"/@';

/**
 * The password policy for a cache user: the function's (and the secret's `rekey:*` password
 * tags) with the characters the services refuse excluded and no space; a length outside the
 * services' 16–128 is refused before anything changes.
 */
export const cachePasswordPolicy = (
  tags: Readonly<Record<string, string>>,
  defaults: PasswordPolicy,
): PasswordPolicy => {
  const policy = passwordPolicyFromTags(tags, defaults);
  if (policy.length < CACHE_PASSWORD_MIN || policy.length > CACHE_PASSWORD_MAX) {
    throw new RotationConfigurationError(
      `ElastiCache and MemoryDB passwords must have ${CACHE_PASSWORD_MIN} to ${CACHE_PASSWORD_MAX} characters, but the password length is ${policy.length} (tag ${PASSWORD_TAGS.length} or PASSWORD_LENGTH). Set the tag to a length in that range.`,
    );
  }
  return {
    ...policy,
    includeSpace: false,
    excludeCharacters: [...new Set([...policy.excludeCharacters, ...CACHE_EXCLUDED_CHARACTERS])].join(''),
  };
};

/** The pending version: the current one with a new password, every other field as it was. */
export const pendingCacheSecret = (current: CacheUserSecret, password: string): string =>
  JSON.stringify({ ...current.raw, password });
