import {
  RotationConfigurationError,
  RotationError,
  SecretFormatError,
  SecretTestFailedError,
} from '../errors.js';
import {
  type CacheUser,
  type CacheUserApi,
  type CacheUserApiFactory,
  defaultCacheUserApi,
} from './cache-user-api.js';
import { probeCommand } from './cache-user-probe.js';
import {
  type CacheService,
  type CacheUserSecret,
  cachePasswordPolicy,
  parseCacheUserSecret,
  pendingCacheSecret,
} from './cache-user-secret.js';
import { DatabaseLoginError, describeDriverError } from './database-errors.js';
import { STATEMENT_TIMEOUT_MS } from './database-rotator.js';
import { redisAdapter } from './redis.js';
import type { PasswordPolicy, Rotator, RotatorContext, SecretVersion } from './types.js';

/**
 * ElastiCache (Redis OSS, Valkey) and MemoryDB users (docs/elasticache-users.md). These services
 * refuse ACL commands: a user's passwords change only through the service API, which holds up
 * to two per user. So, as AWS's ElastiCache user rotation template does, but proving the result
 * on the cluster itself:
 *
 * - createSecret: checks the user exists, authenticates by password and is the secret's
 *   `username`, and stores a new password (16–128 characters, none of `, " / @`, no space).
 * - setSecret: ModifyUser / UpdateUser with both the pending and the current password, so
 *   clients holding either keep working, then waits (bounded) until the user is `active` again.
 * - testSecret: waits until the user is `active`, logs in to the cluster at `host`:`port` (TLS
 *   as `ssl` says) with the pending password and runs a command the access string allows.
 * - after AWSCURRENT moved: a second modify leaves only the new password. If that fails the
 *   rotation is still finished: the next setSecret replaces both passwords anyway, and
 *   `rekey doctor` reports a user that still has two.
 */

/** The user is not `active` within the step's wait, or is being deleted. Retried with the rotation. */
export class CacheUserStateError extends RotationError {
  public constructor(message: string) {
    super(message);
    this.name = 'CacheUserStateError';
  }
}

export interface CacheUserRotatorOptions {
  /** The service the `rekey:rotator` tag named; the secret's `user_arn` must agree. */
  readonly service?: CacheService;
  readonly passwordDefaults: PasswordPolicy;
  /** The user API (tests inject failures); default: the SDK clients where Secrets Manager goes. */
  readonly api?: CacheUserApiFactory;
  /** Longest wait for `active` in one step; the function times out at 60 s. Default 40 s. */
  readonly waitTimeoutMs?: number;
  /** First poll interval; it doubles up to 5 s. Default 250 ms. */
  readonly firstPollMs?: number;
}

const SERVICE_NAMES: Readonly<Record<CacheService, string>> = {
  elasticache: 'ElastiCache',
  memorydb: 'MemoryDB',
};
const MAX_POLL_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'Error');

export const createCacheUserRotator = (options: CacheUserRotatorOptions): Rotator => {
  const waitTimeoutMs = options.waitTimeoutMs ?? 40_000;
  const firstPollMs = options.firstPollMs ?? 250;
  const apiFactory = options.api ?? defaultCacheUserApi;

  const parse = (version: SecretVersion, what: string): CacheUserSecret => {
    const secret = parseCacheUserSecret(version.secretString, what);
    if (options.service !== undefined && secret.user.service !== options.service) {
      throw new SecretFormatError(
        `Field "user_arn" of ${what} is a ${SERVICE_NAMES[secret.user.service]} user, but the secret's rekey:rotator tag says ${options.service}. Fix the tag or "user_arn".`,
        { field: 'user_arn' },
      );
    }
    return secret;
  };
  const nameOf = (secret: CacheUserSecret) =>
    `${SERVICE_NAMES[secret.user.service]} user ${secret.user.userRef} (${secret.user.region}, account ${secret.user.account})`;

  /** The user, checked to be the one the secret names and to authenticate by password. */
  const checked = (secret: CacheUserSecret, user: CacheUser | undefined): CacheUser => {
    if (!user) {
      throw new RotationConfigurationError(
        `${nameOf(secret)} does not exist (UserNotFoundFault): field "user_arn" names no user. Fix "user_arn" with PutSecretValue. AWSCURRENT is unchanged.`,
      );
    }
    if (user.authenticationType !== 'password') {
      throw new RotationConfigurationError(
        `${nameOf(secret)} authenticates with '${user.authenticationType || 'nothing'}', not passwords, so there is no password to rotate. Give it password authentication (AuthenticationMode Type=password) or stop rotating this secret.`,
      );
    }
    if (user.userName !== secret.username) {
      throw new SecretFormatError(
        `Field "username" of the secret does not match the user name of ${nameOf(secret)}, which clients log in with. Fix "username" or "user_arn" with PutSecretValue.`,
        { field: 'username' },
      );
    }
    return user;
  };

  /** Polls until the user is `active`, for at most the step's wait. */
  const untilActive = async (api: CacheUserApi, secret: CacheUserSecret, ctx: RotatorContext) => {
    const deadline = Date.now() + waitTimeoutMs;
    let pause = firstPollMs;
    for (;;) {
      const user = checked(secret, await api.describe());
      if (user.status === 'active') return user;
      if (user.status === 'deleting') {
        throw new CacheUserStateError(`${nameOf(secret)} is being deleted; nothing was changed.`);
      }
      if (Date.now() + pause > deadline) {
        throw new CacheUserStateError(
          `${nameOf(secret)} is still '${user.status}' after ${Math.round(waitTimeoutMs / 1000)} s; Secrets Manager retries the rotation. AWSCURRENT is unchanged.`,
        );
      }
      ctx.logger.info('Waiting for the user to be active', { status: user.status, waitMs: pause });
      await sleep(pause);
      pause = Math.min(pause * 2, MAX_POLL_MS);
    }
  };

  /** Sets the passwords once the user is active; a modification that started meanwhile is waited out once. */
  const setPasswords = async (
    api: CacheUserApi,
    secret: CacheUserSecret,
    passwords: readonly string[],
    ctx: RotatorContext,
  ) => {
    await untilActive(api, secret, ctx);
    try {
      await api.setPasswords(passwords);
    } catch (error) {
      if (errorName(error) !== 'InvalidUserStateFault') throw error;
      await untilActive(api, secret, ctx);
      await api.setPasswords(passwords);
    }
  };

  return {
    name: 'cache-user',
    usesPreviousVersion: false,

    async createPending(current, ctx) {
      const secret = parse(current, 'the AWSCURRENT version');
      checked(secret, await (await apiFactory(secret.user, ctx.secretsManager)).describe());
      const password = await ctx.generatePassword(cachePasswordPolicy(ctx.tags, options.passwordDefaults));
      return pendingCacheSecret(secret, password);
    },

    async setSecret({ current, pending }, ctx) {
      const now = parse(current, 'the AWSCURRENT version');
      const next = parse(pending, 'the AWSPENDING version');
      if (next.user.arn !== now.user.arn) {
        throw new SecretFormatError(
          'Field "user_arn" of the AWSPENDING version names another user than the AWSCURRENT version; a rotation changes the password only. Cancel the rotation and fix the pending value.',
          { field: 'user_arn' },
        );
      }
      if (next.password === undefined) {
        throw new SecretFormatError(
          'The AWSPENDING version has no "password"; it was not made by createSecret.',
          {
            field: 'password',
          },
        );
      }
      // The pending password first; the current one stays valid until finishSecret.
      const passwords = [...new Set([next.password, ...(now.password === undefined ? [] : [now.password])])];
      const api = await apiFactory(next.user, ctx.secretsManager);
      await setPasswords(api, next, passwords, ctx);
      await untilActive(api, next, ctx);
      ctx.logger.info('The user accepts the pending and the current password', {
        user: next.user.arn,
        passwords: passwords.length,
      });
    },

    async testSecret({ pending }, ctx) {
      const secret = parse(pending, 'the AWSPENDING version');
      if (secret.password === undefined) {
        throw new SecretFormatError('The AWSPENDING version has no "password" to test.', {
          field: 'password',
        });
      }
      const user = await untilActive(await apiFactory(secret.user, ctx.secretsManager), secret, ctx);
      const target = {
        engine: 'redis',
        host: secret.host,
        port: secret.port,
        username: secret.username,
        password: secret.password,
        tls: secret.tls,
      };
      let client: Awaited<ReturnType<typeof redisAdapter.open>>;
      try {
        client = await redisAdapter.open(target);
      } catch (error) {
        const { code, message } = describeDriverError(error, [secret.password]);
        throw new DatabaseLoginError(
          `${SERVICE_NAMES[secret.user.service]} cluster`,
          [
            {
              credential: 'pending',
              username: secret.username,
              host: secret.host,
              port: secret.port,
              tls: secret.tls.mode,
              code,
              message,
            },
          ],
          'test the AWSPENDING password (AWSCURRENT is unchanged)',
        );
      }
      const probe = probeCommand(user.accessString);
      try {
        await client.sendCommand(probe.args, { timeout: STATEMENT_TIMEOUT_MS });
        ctx.logger.info('The pending password logs in and works on the cluster', { command: probe.args[0] });
      } catch (error) {
        const { code, message } = describeDriverError(error, [secret.password]);
        // NOPERM comes only after a successful AUTH: the password is proved, the command just not allowed.
        if (!(code === 'NOPERM' && !probe.allowed)) {
          throw new SecretTestFailedError(
            `Logged in to ${secret.host}:${secret.port} with the AWSPENDING password, but ${probe.args[0]} failed with ${code}: ${message}. AWSCURRENT is unchanged.`,
          );
        }
        ctx.logger.info('The pending password logs in; the access string allows no probe command', {
          command: probe.args[0],
        });
      } finally {
        await redisAdapter.close(client);
      }
    },

    async afterFinish({ current }, ctx) {
      const secret = parse(current, 'the AWSCURRENT version');
      if (secret.password === undefined) return;
      try {
        await setPasswords(await apiFactory(secret.user, ctx.secretsManager), secret, [secret.password], ctx);
        ctx.logger.info('Removed the previous password; only AWSCURRENT logs in now', {
          user: secret.user.arn,
        });
      } catch (error) {
        // The rotation is finished (AWSCURRENT moved). The next setSecret sets both passwords
        // afresh, which drops this one; until then `rekey doctor` reports two passwords.
        ctx.logger.warn(
          'The rotation finished but the previous password could not be removed; the next rotation removes it',
          { user: secret.user.arn, errorName: errorName(error) },
        );
      }
    },
  };
};
