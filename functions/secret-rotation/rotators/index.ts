import { RotationConfigurationError, RotatorNotFoundError } from '../errors.js';
import { createApiKeyRotator } from './api-key.js';
import { type CacheService, cacheServiceOf } from './cache-user-secret.js';
import { createGeneratedRotator } from './generated.js';
import { tryParseJsonObject } from './secret-format.js';
import type { PasswordPolicy, Rotator, SecretVersion } from './types.js';

/**
 * Rotator selection: which rotator rotates a secret, decided from the secret's own content
 * (AWSCURRENT) and tags, on every step, so the four invocations agree without state.
 *
 * 1. Tag `rekey:rotator` names the rotator outright: `generated`, or `database` (by `engine`).
 * 2. Otherwise a JSON object secret with a string `engine` goes to the database rotator
 *    registered for that engine; an unknown engine fails, listing the supported ones.
 * 3. Otherwise a JSON object secret with `provider`, `apiKey` and `keyId` goes to the API-key rotator.
 * 4. Otherwise a JSON object secret with `UserName`, `AccessKeyId` and `SecretAccessKey` goes to
 *    the IAM access key rotator.
 * 5. Otherwise a JSON object secret whose `user_arn` is an ElastiCache or MemoryDB user ARN goes to
 *    the cache user rotator (docs/elasticache-users.md); tags `rekey:rotator=elasticache` and
 *    `=memorydb` name it too.
 * 6. Otherwise (plain string, or JSON without `engine`) the generated rotator, except for a
 *    JSON object that looks like database credentials (see {@link looksLikeDatabaseCredentials}):
 *    rotated as a generated password it would get a new AWSCURRENT the database never heard of,
 *    so it is refused until it names its `engine` or is tagged `rekey:rotator=generated`.
 */

/** Fields that only a database (or other server) credential has; `username`/`password` alone do not count. */
const SERVER_FIELDS = [
  'host',
  'port',
  'dbname',
  'masterarn',
  'dbInstanceIdentifier',
  'dbClusterIdentifier',
  'proxyname',
];

/** A JSON object with a user name or password and a field naming a server (`host`, `port`, `dbname`, `masterarn`, ...). */
export const looksLikeDatabaseCredentials = (secret: Readonly<Record<string, unknown>>): boolean =>
  ('username' in secret || 'password' in secret) && SERVER_FIELDS.some((key) => Object.hasOwn(secret, key));

export const ROTATOR_TAG = 'rekey:rotator';
export const STRATEGY_TAG = 'rekey:strategy';

/** How a database credential is rotated, as in AWS's templates. */
export type RotationStrategy = 'single-user' | 'alternating-users';
export const ROTATION_STRATEGIES: readonly RotationStrategy[] = ['single-user', 'alternating-users'];

/** What a database rotator factory receives. */
export interface DatabaseRotatorOptions {
  /** The secret's `engine`, lower-cased (e.g. `aurora-postgresql`). */
  readonly engine: string;
  readonly strategy: RotationStrategy;
  readonly tags: Readonly<Record<string, string>>;
  readonly passwordDefaults: PasswordPolicy;
}

export type DatabaseRotatorFactory = (options: DatabaseRotatorOptions) => Rotator;

/**
 * Database rotators by `engine`. Registering one is one line; the module is imported on
 * first use, so a function rotating generated secrets never loads a database driver:
 *
 * ```ts
 * postgres: async () => (await import('./postgres.js')).createPostgresRotator,
 * ```
 */
export const DATABASE_ROTATORS: Readonly<Record<string, () => Promise<DatabaseRotatorFactory>>> = {
  postgres: async () => (await import('./postgres.js')).createPostgresRotator,
  'aurora-postgresql': async () => (await import('./postgres.js')).createPostgresRotator,
  mysql: async () => (await import('./mysql.js')).createMysqlRotator,
  'aurora-mysql': async () => (await import('./mysql.js')).createMysqlRotator,
  mariadb: async () => (await import('./mysql.js')).createMysqlRotator,
  redis: async () => (await import('./redis.js')).createRedisRotator,
};

/** What selection looks at. */
export interface SelectionInput {
  readonly secretArn: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly current: SecretVersion;
  readonly passwordDefaults: PasswordPolicy;
}

/** Picks a rotator; injectable so tests and new targets can add their own. */
export type RotatorSelector = (input: SelectionInput) => Promise<Rotator>;

/** Rotators named by the `rekey:rotator` tag, besides `database`. */
const generated = (input: SelectionInput): Rotator =>
  createGeneratedRotator({ passwordDefaults: input.passwordDefaults });
/** Loaded on first use, so a function rotating other secrets never loads the IAM and STS clients. */
const iamAccessKey = async (): Promise<Rotator> =>
  (await import('./iam-access-key.js')).createIamAccessKeyRotator();
/** Loaded on first use, so a function rotating other secrets never loads the ElastiCache and MemoryDB clients. */
const cacheUser =
  (service?: CacheService) =>
  async (input: SelectionInput): Promise<Rotator> =>
    (await import('./cache-user.js')).createCacheUserRotator({
      ...(service === undefined ? {} : { service }),
      passwordDefaults: input.passwordDefaults,
    });
const NAMED_ROTATORS: Readonly<Record<string, (input: SelectionInput) => Rotator | Promise<Rotator>>> = {
  generated,
  // Third-party API keys over HTTP (docs/api-keys.md); also chosen by a "provider" field below.
  'api-key': () => createApiKeyRotator(),
  // IAM user access keys (docs/iam-access-keys.md); also chosen by the secret's fields below.
  'iam-access-key': iamAccessKey,
  // ElastiCache and MemoryDB users (docs/elasticache-users.md); also chosen by "user_arn" below.
  elasticache: cacheUser('elasticache'),
  memorydb: cacheUser('memorydb'),
};

const supportedEngines = (registry: Readonly<Record<string, unknown>>): string =>
  Object.keys(registry).length > 0
    ? Object.keys(registry).sort().join(', ')
    : 'none (no database rotator is registered in this build)';

/**
 * The strategy for a database secret: tag `rekey:strategy` when set, else alternating users
 * when the secret names a superuser secret in `masterarn` (AWS's templates decide the same
 * way), else single user.
 */
export const strategyOf = (
  tags: Readonly<Record<string, string>>,
  secret: Readonly<Record<string, unknown>>,
): RotationStrategy => {
  const tagged = tags[STRATEGY_TAG];
  if (tagged !== undefined) {
    const value = tagged.trim().toLowerCase();
    const strategy = ROTATION_STRATEGIES.find((s) => s === value);
    if (!strategy) {
      throw new RotationConfigurationError(
        `Tag ${STRATEGY_TAG} must be one of ${ROTATION_STRATEGIES.join(', ')}; got '${tagged}'. Fix the tag with TagResource.`,
      );
    }
    return strategy;
  }
  return typeof secret.masterarn === 'string' && secret.masterarn !== ''
    ? 'alternating-users'
    : 'single-user';
};

/** The IAM access key shape (docs/iam-access-keys.md); all three fields, as for API keys. */
const isIamKeySecret = (secret: Readonly<Record<string, unknown>> | undefined): boolean =>
  secret !== undefined &&
  typeof secret.UserName === 'string' &&
  typeof secret.AccessKeyId === 'string' &&
  secret.SecretAccessKey !== undefined;

const isApiKeySecret = (secret: Readonly<Record<string, unknown>> | undefined): boolean =>
  secret !== undefined &&
  secret.provider !== undefined &&
  secret.apiKey !== undefined &&
  secret.keyId !== undefined;

/** Builds a selector over a database registry (tests pass their own registry). */
export const createRotatorSelector =
  (
    databaseRotators: Readonly<Record<string, () => Promise<DatabaseRotatorFactory>>> = DATABASE_ROTATORS,
  ): RotatorSelector =>
  async (input) => {
    const tagged = input.tags[ROTATOR_TAG]?.trim().toLowerCase();
    const secret = tryParseJsonObject(input.current.secretString);
    if (tagged !== undefined && tagged !== 'database') {
      // hasOwn: a tag or engine such as 'constructor' must not find Object.prototype's members.
      const named = Object.hasOwn(NAMED_ROTATORS, tagged) ? NAMED_ROTATORS[tagged] : undefined;
      if (!named) {
        throw new RotatorNotFoundError(
          `Tag ${ROTATOR_TAG} of ${input.secretArn} names rotator '${tagged}', which does not exist; supported: ${['generated', 'database', ...Object.keys(NAMED_ROTATORS).filter((n) => n !== 'generated')].join(', ')}. Fix the tag with TagResource.`,
        );
      }
      return named(input);
    }
    const engine = secret?.engine;
    // All three API-key fields, so a generated secret that merely has a "provider" field stays generated.
    if (engine === undefined && tagged === undefined && isIamKeySecret(secret)) return iamAccessKey();
    if (engine === undefined && tagged === undefined && isApiKeySecret(secret)) {
      return createApiKeyRotator();
    }
    // Before the database-credentials refusal: these secrets have "host" and "username" too.
    if (engine === undefined && tagged === undefined && secret !== undefined && cacheServiceOf(secret)) {
      return cacheUser()(input);
    }
    if (engine === undefined) {
      if (tagged === 'database') {
        throw new RotatorNotFoundError(
          `Tag ${ROTATOR_TAG}=database on ${input.secretArn} needs a JSON secret with an "engine" field; supported engines: ${supportedEngines(databaseRotators)}.`,
        );
      }
      if (tagged === undefined && secret !== undefined && Object.hasOwn(secret, 'user_arn')) {
        throw new RotatorNotFoundError(
          `Field "user_arn" of ${input.secretArn} is not an ElastiCache user ARN (arn:aws:elasticache:REGION:ACCOUNT:user:USER_ID) or a MemoryDB user ARN (arn:aws:memorydb:REGION:ACCOUNT:user/USER_NAME), so no rotator knows the user. Fix it with PutSecretValue (see docs/elasticache-users.md).`,
        );
      }
      if (tagged === undefined && secret !== undefined && looksLikeDatabaseCredentials(secret)) {
        const fields = SERVER_FIELDS.filter((key) => Object.hasOwn(secret, key)).join(', ');
        throw new RotatorNotFoundError(
          `Secret ${input.secretArn} looks like database credentials (it has ${fields} and a username or password) but has no field "engine", so rotating it would only make a new password the database never heard of. Add "engine" (one of ${supportedEngines(databaseRotators)}) to the secret value with PutSecretValue, or, if the value really is a generated password with no server to update, tag the secret ${ROTATOR_TAG}=generated.`,
        );
      }
      return generated(input);
    }
    if (typeof engine !== 'string' || engine.trim() === '') {
      throw new RotatorNotFoundError(
        `Field "engine" of ${input.secretArn} must be a non-empty string naming the database engine; supported engines: ${supportedEngines(databaseRotators)}. To rotate the secret as a generated password instead, tag it ${ROTATOR_TAG}=generated.`,
      );
    }
    const key = engine.trim().toLowerCase();
    const load = Object.hasOwn(databaseRotators, key) ? databaseRotators[key] : undefined;
    if (!load) {
      throw new RotatorNotFoundError(
        `No rotator for engine '${engine}' of ${input.secretArn}; supported engines: ${supportedEngines(databaseRotators)}. Fix "engine", or tag the secret ${ROTATOR_TAG}=generated to rotate it as a generated password.`,
      );
    }
    const factory = await load();
    return factory({
      engine: key,
      strategy: strategyOf(input.tags, secret ?? {}),
      tags: input.tags,
      passwordDefaults: input.passwordDefaults,
    });
  };

/** The selector with the rotators of this build. */
export const selectRotator: RotatorSelector = createRotatorSelector();
